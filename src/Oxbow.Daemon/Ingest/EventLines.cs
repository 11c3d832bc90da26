using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Oxbow.Codec;
using Oxbow.Store.Events;
using Oxbow.Transport;

namespace Oxbow.Daemon.Ingest;

/// <summary>NDJSON that passed validation: every line a canonical event, each ending in <c>\n</c>.</summary>
/// <param name="Data">The lines.</param>
/// <param name="Count">How many.</param>
/// <param name="KeysRepaired">How many of them had keys renamed under <see cref="KeyRepair"/>'s rules.</param>
internal readonly record struct ValidatedEvents(ReadOnlyMemory<byte> Data, int Count, int KeysRepaired = 0);

/// <summary>
/// Checks and normalizes incoming NDJSON. A canonical line (what Oxbow's clients send) is checked in place: its head
/// by position, the rest by a JSON reader. Any other valid JSON object is rewritten into canonical form: this is how
/// events from other sources may leave out <c>id</c>, <c>host</c>, <c>pid</c>, <c>app</c>, <c>start</c> and
/// <c>end</c>, and how their unknown top-level keys end up in <c>body</c>.
/// </summary>
internal static class EventLines
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };

    /// <exception cref="ProtocolException"><see cref="RejectReason.InvalidEvent"/>, naming the 1-based line and the problem.</exception>
    public static ValidatedEvents Validate(ReadOnlyMemory<byte> data, DateTime arrivalUtc, int maxEventBytes)
    {
        var span = data.Span;
        if (!Utf8.IsValid(span))
        {
            throw Invalid(LineOfInvalidUtf8(span), "not valid UTF-8");
        }

        ArrayBufferWriter<byte>? rewritten = null;
        var count = 0;
        var repaired = 0;
        var lineNumber = 0;
        var offset = 0;
        while (offset < span.Length)
        {
            lineNumber++;
            var newline = span[offset..].IndexOf((byte)'\n');
            var lineEnd = newline < 0 ? span.Length : offset + newline;
            var line = span[offset..lineEnd];
            var next = newline < 0 ? span.Length : lineEnd + 1;
            if (!line.IsEmpty && line[^1] == '\r')
            {
                line = line[..^1];
            }

            if (line.Trim(" \t"u8).IsEmpty)
            {
                rewritten ??= CopyOf(span[..offset]);
                offset = next;
                continue;
            }

            if (line.Length > maxEventBytes)
            {
                throw Invalid(lineNumber, $"event of {line.Length} bytes is over the limit of {maxEventBytes} bytes");
            }

            if (UnicodeEscapes.FindLoneSurrogate(line) is var lone and >= 0)
            {
                throw Invalid(lineNumber, $"invalid Unicode: the escape {Encoding.ASCII.GetString(line.Slice(lone, Math.Min(6, line.Length - lone)))} at byte {lone} is half of a surrogate pair");
            }

            if (CanonicalLine.TryParse(line, out var canonical))
            {
                if (!CheckCanonicalJson(canonical, lineNumber))
                {
                    rewritten ??= CopyOf(span[..offset]);
                    repaired += RepairKeys(line, lineNumber, rewritten) ? 1 : 0;
                }
                else if (rewritten is not null || newline < 0 || line.Length != lineEnd - offset)
                {
                    rewritten ??= CopyOf(span[..offset]);
                    rewritten.Write(line);
                    rewritten.Write("\n"u8);
                }
            }
            else
            {
                rewritten ??= CopyOf(span[..offset]);
                repaired += Normalize(line, lineNumber, arrivalUtc, rewritten) ? 1 : 0;
            }

            count++;
            offset = next;
        }

        return new ValidatedEvents(rewritten is null ? data : rewritten.WrittenMemory, count, repaired);
    }

    /// <summary>
    /// The head of a canonical line (id, type, start, end) was already checked byte by byte and holds no escapes, so
    /// only the rest needs a JSON check, and the fast one (<see cref="JsonSyntax"/>) answers for nearly every line.
    /// </summary>
    /// <returns>False when the line is valid JSON but its keys need <see cref="KeyRepair"/>.</returns>
    private static bool CheckCanonicalJson(CanonicalLine canonical, int lineNumber)
    {
        if (!JsonSyntax.IsValidObjectRest(canonical.Rest, out var keysClean))
        {
            // The reader has the last word, and says what is wrong where.
            CheckJson(canonical.Line, lineNumber);
            return keysClean;
        }

        return true;
    }

    /// <summary>Writes a canonical line again with its keys repaired (the head stays canonical: it comes first, unchanged); true when a key changed.</summary>
    private static bool RepairKeys(ReadOnlySpan<byte> line, int lineNumber, IBufferWriter<byte> output)
    {
        using var document = Parse(line, lineNumber);
        int renamed;
        using (var json = new Utf8JsonWriter(output, KeyRepair.WriterOptions))
        {
            renamed = KeyRepair.Write(document.RootElement, json);
        }

        output.Write("\n"u8);
        return renamed > 0;
    }

    private static JsonDocument Parse(ReadOnlySpan<byte> line, int lineNumber)
    {
        try
        {
            return JsonDocument.Parse(line.ToArray(), new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw Invalid(lineNumber, "invalid JSON: " + ex.Message);
        }
    }

    private static void CheckJson(ReadOnlySpan<byte> line, int lineNumber)
    {
        try
        {
            var reader = new Utf8JsonReader(line, ReaderOptions);
            while (reader.Read())
            {
            }
        }
        catch (JsonException ex)
        {
            throw Invalid(lineNumber, "invalid JSON: " + ex.Message);
        }
    }

    /// <returns>Whether a key of the body was repaired.</returns>
    private static bool Normalize(ReadOnlySpan<byte> line, int lineNumber, DateTime arrivalUtc, IBufferWriter<byte> output)
    {
        var renamed = 0;
        using (var document = Parse(line, lineNumber))
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(lineNumber, $"an event must be a JSON object, not {root.ValueKind.ToString().ToLowerInvariant()}");
            }

            var type = StringField(root, "type", lineNumber) ?? throw Invalid(lineNumber, "missing \"type\"");
            if (Oxbow.EventType.IsValid(type) is false)
            {
                throw Invalid(lineNumber, $"type \"{Shorten(type)}\" is not a valid type name (lower-case [a-z0-9_-] segments joined by dots, at most {Oxbow.EventType.MaxLength} characters)");
            }

            var id = StringField(root, "id", lineNumber);
            if (id is not null && !Oxbow.OxId.IsValid(id))
            {
                throw Invalid(lineNumber, $"id \"{Shorten(id)}\" is not 32 lower-case hex digits");
            }

            var end = TimeField(root, "end", lineNumber) ?? Timestamps.TruncateToMicroseconds(arrivalUtc);
            var start = TimeField(root, "start", lineNumber) ?? end;
            var levelText = StringField(root, "level", lineNumber);
            var level = OxLevel.Info;
            if (levelText is not null && !OxLevels.TryParse(levelText, out level))
            {
                throw Invalid(lineNumber, $"level \"{Shorten(levelText)}\" is not one of {OxLevels.ValidNames}");
            }

            using var json = new Utf8JsonWriter(output);
            json.WriteStartObject();
            json.WriteString("id", id ?? Oxbow.OxId.NewId(arrivalUtc));
            json.WriteString("type", type);
            json.WriteString("start", Timestamps.Format(start));
            json.WriteString("end", Timestamps.Format(end));
            json.WriteString("level", OxLevels.Name(level));
            CopyIfPresent(root, "host", json);
            if (root.TryGetProperty("pid", out var pid))
            {
                if (pid.ValueKind != JsonValueKind.Number || !pid.TryGetInt32(out _))
                {
                    throw Invalid(lineNumber, "\"pid\" must be an integer");
                }

                json.WritePropertyName("pid");
                pid.WriteTo(json);
            }

            CopyIfPresent(root, "app", json);
            CopyIfPresent(root, "trace_id", json);
            CopyIfPresent(root, "span_id", json);
            json.WriteStartObject("body");
            var names = KeyRepair.NewNameSet();
            if (root.TryGetProperty("body", out var body))
            {
                if (body.ValueKind != JsonValueKind.Object)
                {
                    throw Invalid(lineNumber, "\"body\" must be an object");
                }

                foreach (var property in body.EnumerateObject())
                {
                    renamed += KeyRepair.WriteMember(property, names, json);
                }
            }

            // Keys a non-Oxbow source puts at the top level are its fields: keep them, in body (a body field of the
            // same name wins).
            foreach (var property in root.EnumerateObject())
            {
                if (!IsEnvelope(property.Name) && !(body.ValueKind == JsonValueKind.Object && body.TryGetProperty(property.Name, out _)))
                {
                    renamed += KeyRepair.WriteMember(property, names, json);
                }
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        output.Write("\n"u8);
        return renamed > 0;
    }

    private static bool IsEnvelope(string name) =>
        name is "id" or "type" or "start" or "end" or "level" or "host" or "pid" or "app" or "trace_id" or "span_id" or "body";

    private static void CopyIfPresent(JsonElement root, string name, Utf8JsonWriter json)
    {
        if (root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
        {
            json.WritePropertyName(name);
            value.WriteTo(json);
        }
    }

    private static string? StringField(JsonElement root, string name, int lineNumber)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw Invalid(lineNumber, $"\"{name}\" must be a string");
    }

    private static DateTime? TimeField(JsonElement root, string name, int lineNumber)
    {
        var text = StringField(root, name, lineNumber);
        if (text is null)
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) || parsed.Year < 1970 || parsed.Year > 9999)
        {
            throw Invalid(lineNumber, $"\"{name}\" is not an ISO-8601 timestamp of a real date from 1970 to 9999: \"{Shorten(text)}\"");
        }

        return Timestamps.TruncateToMicroseconds(parsed.UtcDateTime);
    }

    private static ArrayBufferWriter<byte> CopyOf(ReadOnlySpan<byte> prefix)
    {
        var writer = new ArrayBufferWriter<byte>(Math.Max(256, prefix.Length * 2));
        writer.Write(prefix);
        return writer;
    }

    private static int LineOfInvalidUtf8(ReadOnlySpan<byte> span)
    {
        var line = 1;
        var start = 0;
        while (start < span.Length)
        {
            var newline = span[start..].IndexOf((byte)'\n');
            var end = newline < 0 ? span.Length : start + newline;
            if (!Utf8.IsValid(span[start..end]))
            {
                return line;
            }

            line++;
            start = end + 1;
        }

        return line;
    }

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "…";

    internal static ProtocolException Invalid(int lineNumber, string problem) =>
        new(RejectReason.InvalidEvent, $"line {lineNumber}: {problem}");
}
