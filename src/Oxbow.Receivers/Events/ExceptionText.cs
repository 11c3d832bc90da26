using System.Globalization;
using System.Text.Json;

namespace Oxbow.Receivers.Events;

/// <summary>
/// Turns .NET's exception text (<c>Exception.ToString()</c>, which Serilog sends as CLEF's <c>@x</c> and OpenTelemetry
/// .NET as <c>exception.stacktrace</c>) into Oxbow's structured exception: type, message, frames and inner
/// exceptions (docs/event-format.md). Text that is not in that shape (another runtime's trace) keeps its lines as
/// frames' methods, so nothing is dropped.
/// </summary>
internal static class ExceptionText
{
    private const int MaxDepth = 8;

    private sealed class Level
    {
        public string? Type;
        public string? Message;
        public List<(string Method, string? File, int? Line)> Frames = [];
        public Level? Inner;
    }

    /// <summary>Writes <c>"exception": {…}</c> into the object <paramref name="json"/> is in.</summary>
    /// <param name="json">The writer.</param>
    /// <param name="type">The type when the sender gave it apart (OTLP's <c>exception.type</c>), which wins over the text.</param>
    /// <param name="message">Likewise the message.</param>
    /// <param name="text">The exception's text, if any.</param>
    public static void Write(Utf8JsonWriter json, string? type, string? message, string? text)
    {
        var root = Parse(text);
        // OpenTelemetry .NET sends the short type name apart and the full one in the text: the full one wins.
        root.Type = string.IsNullOrEmpty(type) || (root.Type is { } full && full.EndsWith("." + type, StringComparison.Ordinal)) ? root.Type : type;
        root.Message = string.IsNullOrEmpty(message) ? root.Message : message;
        json.WritePropertyName("exception"u8);
        WriteLevel(json, root);
    }

    private static void WriteLevel(Utf8JsonWriter json, Level level)
    {
        json.WriteStartObject();
        json.WriteString("type"u8, level.Type ?? "");
        json.WriteString("message"u8, level.Message ?? "");
        json.WriteStartArray("frames"u8);
        foreach (var (method, file, line) in level.Frames)
        {
            json.WriteStartObject();
            json.WriteString("method"u8, method);
            if (file is not null)
            {
                json.WriteString("file"u8, file);
            }

            if (line is { } n)
            {
                json.WriteNumber("line"u8, n);
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        if (level.Inner is { } inner)
        {
            json.WriteStartArray("inner"u8);
            WriteLevel(json, inner);
            json.WriteEndArray();
        }

        json.WriteEndObject();
    }

    private static Level Parse(string? text)
    {
        var root = new Level();
        if (string.IsNullOrEmpty(text))
        {
            return root;
        }

        List<Level> chain = [root];
        var current = 0;
        var header = true; // the current level's message may still run over several lines
        var first = true;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var trimmed = line.TrimStart();
            if (first)
            {
                first = false;
                SetHeader(root, trimmed);
                continue;
            }

            if (trimmed.StartsWith("---> ", StringComparison.Ordinal) && chain.Count < MaxDepth)
            {
                var inner = new Level();
                SetHeader(inner, trimmed[5..]);
                chain[^1].Inner = inner;
                chain.Add(inner);
                current = chain.Count - 1;
                header = true;
            }
            else if (trimmed.StartsWith("--- End of inner exception stack trace ---", StringComparison.Ordinal))
            {
                current = Math.Max(0, current - 1);
                header = false;
            }
            else if (trimmed.StartsWith("at ", StringComparison.Ordinal))
            {
                chain[current].Frames.Add(Frame(trimmed[3..]));
                header = false;
            }
            else if (trimmed.StartsWith("--- End of stack trace from previous location", StringComparison.Ordinal) || trimmed.Length == 0)
            {
                // A marker between async segments, or a blank line: not a frame.
            }
            else if (header)
            {
                chain[current].Message = chain[current].Message is null ? trimmed : chain[current].Message + "\n" + line;
            }
            else
            {
                chain[current].Frames.Add((trimmed, null, null));
            }
        }

        return root;
    }

    /// <summary><c>Ns.Type: message</c>, or just a message when there is no type before the colon.</summary>
    private static void SetHeader(Level level, string text)
    {
        var colon = text.IndexOf(": ", StringComparison.Ordinal);
        var type = colon > 0 ? text[..colon] : text;
        if (colon > 0 && !type.Contains(' ', StringComparison.Ordinal))
        {
            level.Type = type;
            level.Message = text[(colon + 2)..];
        }
        else if (colon < 0 && !text.Contains(' ', StringComparison.Ordinal))
        {
            level.Type = text;
            level.Message = "";
        }
        else
        {
            level.Message = text;
        }
    }

    /// <summary><c>Ns.Type.Method(args) in /path/file.cs:line 12</c>.</summary>
    private static (string Method, string? File, int? Line) Frame(string text)
    {
        var inIndex = text.LastIndexOf(" in ", StringComparison.Ordinal);
        string? file = null;
        int? line = null;
        var call = text;
        if (inIndex > 0)
        {
            var location = text[(inIndex + 4)..];
            var lineMark = location.LastIndexOf(":line ", StringComparison.Ordinal);
            if (lineMark > 0 && int.TryParse(location[(lineMark + 6)..], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                file = location[..lineMark];
                line = n;
                call = text[..inIndex];
            }
        }

        var paren = call.IndexOf('(', StringComparison.Ordinal);
        return (paren > 0 ? call[..paren] : call, file, line);
    }
}
