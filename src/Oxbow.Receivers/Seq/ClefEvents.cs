using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;
using Oxbow.Receivers.Events;

namespace Oxbow.Receivers.Seq;

/// <summary>How Seq's events become Oxbow events. Every default is what docs/event-format.md ("Seq") documents.</summary>
internal sealed record ClefMapping
{
    /// <summary>The event type. Default <c>log</c>; a key scoped to exactly one type writes that type instead.</summary>
    public string Type { get; init; } = "log";

    /// <summary>An event larger than this (bytes) is refused alone. Default 1 MiB.</summary>
    public int MaxEventBytes { get; init; } = 1 << 20;
}

/// <summary>
/// Seq's ingest formats as events (docs/event-format.md, "Seq"): CLEF (<c>application/vnd.serilog.clef</c>, one JSON
/// object a line) and the older <c>{"Events":[…]}</c> body. <c>@t</c> is <c>end</c>, <c>@l</c> the level (Serilog's
/// names; absent is Information), <c>@mt</c> the <c>template</c>, <c>@m</c> the <c>message</c> (rendered from the
/// template when absent), <c>@x</c> the structured exception, <c>@i</c> the <c>event_id</c>, <c>@tr</c>/<c>@sp</c> the
/// trace and span ids, and every other property a field (a leading <c>@@</c> is a literal <c>@</c>). The enrichers'
/// <c>MachineName</c>, <c>Application</c> and <c>ProcessId</c> fill the envelope. A line that cannot be an event is
/// refused alone, with its reason, and the rest are kept, as Seq does.
/// </summary>
internal static class ClefEvents
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    /// <summary>Maps a request body.</summary>
    /// <param name="body">The body.</param>
    /// <param name="clef">True for CLEF lines; false for the <c>{"Events":[…]}</c> body.</param>
    /// <param name="mapping">The mapping.</param>
    /// <param name="problems">Each refused line's reason (1-based line or event number).</param>
    public static ReceivedEvents Map(ReadOnlyMemory<byte> body, bool clef, ClefMapping mapping, List<string> problems)
    {
        var output = new ArrayBufferWriter<byte>(Math.Max(256, body.Length * 2));
        using var writer = new EventLineWriter(output);
        var fields = new FieldTree<JsonElement>();
        var events = 0;
        if (clef)
        {
            var number = 0;
            while (!body.IsEmpty)
            {
                number++;
                var newline = body.Span.IndexOf((byte)'\n');
                var line = newline < 0 ? body : body[..newline];
                body = newline < 0 ? ReadOnlyMemory<byte>.Empty : body[(newline + 1)..];
                if (line.Span.Trim(" \t\r"u8).IsEmpty)
                {
                    continue;
                }

                if (!Utf8.IsValid(line.Span))
                {
                    problems.Add($"line {number}: not valid UTF-8");
                    continue;
                }

                try
                {
                    using var document = JsonDocument.Parse(line, Options);
                    events += Write(writer, fields, document.RootElement, clef: true, mapping, problems, $"line {number}") ? 1 : 0;
                }
                catch (JsonException ex)
                {
                    problems.Add($"line {number}: invalid JSON ({ex.Message})");
                }
            }
        }
        else
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(body, Options);
            }
            catch (JsonException ex)
            {
                throw new FormatException("invalid JSON: " + ex.Message, ex);
            }

            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("Events", out var list) || list.ValueKind != JsonValueKind.Array)
                {
                    throw new FormatException("the body must be {\"Events\": [...]} (or CLEF lines with Content-Type: application/vnd.serilog.clef)");
                }

                var number = 0;
                foreach (var item in list.EnumerateArray())
                {
                    number++;
                    events += Write(writer, fields, item, clef: false, mapping, problems, $"event {number}") ? 1 : 0;
                }
            }
        }

        return new ReceivedEvents(output.WrittenMemory, events, problems.Count, problems.Count == 0 ? null : problems[0]);
    }

    private static bool Write(EventLineWriter writer, FieldTree<JsonElement> fields, JsonElement e, bool clef, ClefMapping mapping, List<string> problems, string where)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"{where}: an event must be a JSON object");
            return false;
        }

        var properties = clef ? e : e.TryGetProperty("Properties", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        var time = Text(e, clef ? "@t" : "Timestamp");
        if (time is null)
        {
            problems.Add($"{where}: {(clef ? "@t" : "Timestamp")} (the event's time) is missing");
            return false;
        }

        // Serilog writes the round-trip form, which parses fast; anything else ISO-8601 is read too.
        if (!DateTimeOffset.TryParseExact(time, "O", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var end)
            && !DateTimeOffset.TryParse(time, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out end))
        {
            problems.Add($"{where}: '{time}' is not a timestamp");
            return false;
        }

        var levelText = Text(e, clef ? "@l" : "Level");
        var template = Text(e, clef ? "@mt" : "MessageTemplate");
        var message = Text(e, clef ? "@m" : "RenderedMessage") ?? (template is null ? null : MessageTemplate.Render(template, properties));
        var traceId = Hex(Text(e, clef ? "@tr" : "TraceId"), 32);
        var spanId = Hex(Text(e, clef ? "@sp" : "SpanId"), 16);
        var app = properties.ValueKind == JsonValueKind.Object ? Text(properties, "Application") : null;
        var host = properties.ValueKind == JsonValueKind.Object ? Text(properties, "MachineName") : null;
        long? pid = properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty("ProcessId", out var pidValue) && pidValue.TryGetInt64(out var n) ? n : null;

        var json = writer.Begin(mapping.Type, null, end.UtcDateTime, LevelNames.FromText(levelText) ?? "info", host, pid, app, traceId, spanId);
        if (message is not null)
        {
            json.WriteString("message"u8, message);
        }

        if (template is not null)
        {
            json.WriteString("template"u8, template);
        }

        if (e.TryGetProperty(clef ? "@i" : "EventType", out var eventId) && eventId.ValueKind is JsonValueKind.String or JsonValueKind.Number)
        {
            json.WritePropertyName("event_id"u8);
            eventId.WriteTo(json);
        }

        if (Text(e, clef ? "@x" : "Exception") is { } exception)
        {
            ExceptionText.Write(json, null, null, exception);
        }

        if (properties.ValueKind == JsonValueKind.Object)
        {
            fields.Clear();
            foreach (var property in properties.EnumerateObject())
            {
                var name = property.Name;
                if (name is "Application" or "MachineName" or "ProcessId")
                {
                    continue;
                }

                if (name.StartsWith('@'))
                {
                    // CLEF reserves @-names for itself; "@@x" is a property called "@x".
                    if (!clef || !name.StartsWith("@@", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    name = name[1..];
                }

                fields.Add(name, property.Value);
            }

            fields.WriteProperties(json, static (w, v) => v.WriteTo(w));
        }

        if (!levelText.IsKnownLevel())
        {
            json.WriteString("level_name"u8, levelText);
        }

        if (!writer.End(mapping.MaxEventBytes))
        {
            problems.Add($"{where}: the event is over {mapping.MaxEventBytes} bytes");
            return false;
        }

        return true;
    }

    private static bool IsKnownLevel(this string? text) => text is null || LevelNames.FromText(text) is not null;

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? Hex(string? text, int length) =>
        text is not null && text.Length == length && text.All(char.IsAsciiHexDigit) ? text.ToLowerInvariant() : null;
}
