using System.Text.Json;

namespace Oxbow.Codec;

/// <summary>Reads and writes the canonical encoding of <see cref="OxbowEvent"/> (docs/event-format.md).</summary>
internal static class CanonicalJson
{
    /// <summary>The canonical JSON of an event, without a trailing newline, redacting with the default policy.</summary>
    public static string ToJson(OxbowEvent e)
    {
        var writer = new Utf8EventWriter(512);
        Write(writer, e, KeyCache.Default);
        return System.Text.Encoding.UTF8.GetString(writer.WrittenSpan);
    }

    internal static void Write(Utf8EventWriter w, OxbowEvent e, KeyCache keys)
    {
        w.Raw("{\"id\":"u8);
        w.String(e.Id);
        w.Raw(",\"type\":"u8);
        w.String(e.Type);
        w.Raw(",\"start\":"u8);
        w.Timestamp(e.Start.Ticks);
        w.Raw(",\"end\":"u8);
        w.Timestamp(e.End.Ticks);
        w.Raw(",\"level\":\""u8);
        w.Raw(OxLevels.Utf8Name(e.Level));
        w.Byte((byte)'"');
        WriteIdentity(w, e.Host, e.Pid, e.App);
        WriteTrace(w, e.TraceId, e.SpanId);
        w.Raw(",\"body\":"u8);
        w.Map(e.Body, keys, 0);
        w.Byte((byte)'}');
    }

    /// <summary><c>,"host":…,"pid":…,"app":…</c>, the resource part of every event.</summary>
    internal static void WriteIdentity(Utf8EventWriter w, string host, int pid, string app)
    {
        w.Raw(",\"host\":"u8);
        w.String(host);
        w.Raw(",\"pid\":"u8);
        w.Int64(pid);
        w.Raw(",\"app\":"u8);
        w.String(app);
    }

    /// <summary><c>,"trace_id":…,"span_id":…</c>, each only when known.</summary>
    internal static void WriteTrace(Utf8EventWriter w, string? traceId, string? spanId)
    {
        if (traceId is not null)
        {
            w.Raw(",\"trace_id\":"u8);
            w.String(traceId);
        }

        if (spanId is not null)
        {
            w.Raw(",\"span_id\":"u8);
            w.String(spanId);
        }
    }

    /// <summary>Parses one canonical JSON line.</summary>
    /// <exception cref="FormatException">The line is not a canonical event; the message names what is wrong.</exception>
    public static OxbowEvent Parse(ReadOnlySpan<byte> utf8Line)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Line.ToArray());
        }
        catch (JsonException ex)
        {
            throw new FormatException($"Not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("An event must be a JSON object.");
            }

            var e = new OxbowEvent
            {
                Id = RequiredString(root, "id"),
                Type = RequiredString(root, "type"),
            };
            e.Start = RequiredTime(root, "start");
            e.End = RequiredTime(root, "end");
            if (!OxLevels.TryParse(RequiredString(root, "level"), out var level))
            {
                throw new FormatException($"Unknown level '{root.GetProperty("level").GetString()}'.");
            }

            e.Level = level;
            e.Host = OptionalString(root, "host") ?? "";
            e.Pid = root.TryGetProperty("pid", out var pid) && pid.ValueKind == JsonValueKind.Number ? pid.GetInt32() : 0;
            e.App = OptionalString(root, "app") ?? "";
            e.TraceId = OptionalString(root, "trace_id");
            e.SpanId = OptionalString(root, "span_id");
            if (root.TryGetProperty("body", out var body))
            {
                e.Body = body.ValueKind == JsonValueKind.Object
                    ? (FieldMap)FromElement(body)!
                    : throw new FormatException("'body' must be an object.");
            }

            return e;
        }
    }

    /// <summary>Converts parsed JSON into <see cref="FieldMap"/> values: integers become <see cref="long"/>, other numbers <see cref="double"/>.</summary>
    public static object? FromElement(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var map = new FieldMap();
                foreach (var property in element.EnumerateObject())
                {
                    map.SetRaw(property.Name, FromElement(property.Value));
                }

                return map;
            case JsonValueKind.Array:
                return element.EnumerateArray().Select(FromElement).ToList();
            case JsonValueKind.String:
                return element.GetString();
            case JsonValueKind.Number:
                if (element.TryGetInt64(out var l))
                {
                    return l;
                }

                if (element.TryGetUInt64(out var u))
                {
                    return u;
                }

                return element.GetDouble();
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                return null;
        }
    }

    private static string RequiredString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new FormatException($"Missing or non-string '{name}'.");

    private static string? OptionalString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static DateTime RequiredTime(JsonElement root, string name) =>
        Timestamps.TryParse(RequiredString(root, name), out var time)
            ? time
            : throw new FormatException($"'{name}' is not an ISO-8601 time.");
}
