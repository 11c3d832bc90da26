using System.Text.Json;

namespace Oxbow.Receivers.Events;

/// <summary>
/// Writes events as canonical lines (docs/event-format.md: id, type, start and end first, in that order and form), so
/// the collector's ingest pipeline checks them in place as it does its own clients' lines instead of rewriting each.
/// One writer serves a whole request: each event is one line.
/// </summary>
internal sealed class EventLineWriter(PooledBufferWriter output) : IDisposable
{
    private static readonly System.Text.Encodings.Web.JavaScriptEncoder Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
    private readonly Utf8JsonWriter _json = new(output, new JsonWriterOptions { Encoder = Encoder });

    // A request's events mostly share their type, level, host and app: each is encoded once, not per event.
    private readonly LastEncoded _type = new(), _level = new(), _host = new(), _app = new();

    private readonly Timestamps.Cache _times = new();
    private readonly Timestamps.Cache _endTimes = new();
    private readonly long _arrivalTicks = DateTime.UtcNow.Ticks;
    private int _eventStart;

    /// <summary>Starts an event: the envelope, then the caller writes the body's properties and calls <see cref="End"/>.</summary>
    /// <remarks>The trace and span ids are lower-case hex; empty when the event has none.</remarks>
    public Utf8JsonWriter Begin(string type, DateTime? start, DateTime end, string level, string? host, long? pid, string? app, ReadOnlySpan<char> traceId, ReadOnlySpan<char> spanId)
    {
        // The head is formatted in place as quoted ASCII and copied in raw (it needs no escaping): otherwise the id
        // and times are most of the per-event cost.
        Span<byte> id = stackalloc byte[OxId.Length + 2];
        OxId.Write(id[1..^1], _arrivalTicks);
        Span<byte> startText = stackalloc byte[Timestamps.Length + 2];
        Span<byte> endText = stackalloc byte[Timestamps.Length + 2];
        Timestamps.Write(endText[1..^1], end.Ticks, _endTimes);
        Timestamps.Write(startText[1..^1], (start ?? end).Ticks, _times);
        id[0] = id[^1] = startText[0] = startText[^1] = endText[0] = endText[^1] = (byte)'"';
        _eventStart = output.WrittenCount;
        _json.Reset(output);
        _json.WriteStartObject();
        _json.WritePropertyName(Names.Id);
        _json.WriteRawValue(id, skipInputValidation: true);
        _json.WriteString(Names.Type, _type.Encode(type));
        _json.WritePropertyName(Names.Start);
        _json.WriteRawValue(startText, skipInputValidation: true);
        _json.WritePropertyName(Names.End);
        _json.WriteRawValue(endText, skipInputValidation: true);
        _json.WriteString(Names.Level, _level.Encode(level));
        if (!string.IsNullOrEmpty(host))
        {
            _json.WriteString(Names.Host, _host.Encode(host));
        }

        if (pid is { } p and >= int.MinValue and <= int.MaxValue)
        {
            _json.WriteNumber(Names.Pid, p);
        }

        if (!string.IsNullOrEmpty(app))
        {
            _json.WriteString(Names.App, _app.Encode(app));
        }

        WriteHex(Names.TraceId, traceId);
        WriteHex(Names.SpanId, spanId);
        _json.WritePropertyName(Names.Body);
        _json.WriteStartObject();
        return _json;
    }

    /// <summary>A trace or span id: hex is ASCII that needs no escaping, so it is copied in raw, quoted.</summary>
    private void WriteHex(JsonEncodedText name, ReadOnlySpan<char> hex)
    {
        if (hex.IsEmpty)
        {
            return;
        }

        Span<byte> quoted = stackalloc byte[34];
        if (hex.Length > 32 || hex.ContainsAnyExcept(HexDigits))
        {
            _json.WriteString(name, hex);
            return;
        }

        quoted[0] = quoted[hex.Length + 1] = (byte)'"';
        for (var i = 0; i < hex.Length; i++)
        {
            quoted[i + 1] = (byte)hex[i];
        }

        _json.WritePropertyName(name);
        _json.WriteRawValue(quoted[..(hex.Length + 2)], skipInputValidation: true);
    }

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    /// <summary>The envelope's names, encoded once: a name given as bytes is checked for escaping on every write.</summary>
    private static class Names
    {
        public static readonly JsonEncodedText Id = JsonEncodedText.Encode("id"), Type = JsonEncodedText.Encode("type"), Start = JsonEncodedText.Encode("start"),
            End = JsonEncodedText.Encode("end"), Level = JsonEncodedText.Encode("level"), Host = JsonEncodedText.Encode("host"), Pid = JsonEncodedText.Encode("pid"),
            App = JsonEncodedText.Encode("app"), TraceId = JsonEncodedText.Encode("trace_id"), SpanId = JsonEncodedText.Encode("span_id"), Body = JsonEncodedText.Encode("body");
    }

    /// <summary>Ends the event; false, with the event cut back out, when its line is over <paramref name="maxEventBytes"/>.</summary>
    public bool End(int maxEventBytes)
    {
        _json.WriteEndObject();
        _json.WriteEndObject();
        _json.Flush();
        output.Write("\n"u8);
        if (output.WrittenCount - _eventStart <= maxEventBytes)
        {
            return true;
        }

        // One oversized event must not cost the others: the request keeps going without it.
        output.Truncate(_eventStart);
        return false;
    }

    public void Dispose() => _json.Dispose();

    /// <summary>The last string seen and its JSON encoding.</summary>
    private sealed class LastEncoded
    {
        private string? _last;
        private JsonEncodedText _encoded;

        public JsonEncodedText Encode(string value)
        {
            if (!string.Equals(value, _last, StringComparison.Ordinal))
            {
                _encoded = JsonEncodedText.Encode(value, Encoder);
                _last = value;
            }

            return _encoded;
        }
    }

    /// <summary>ISO-8601 UTC with six fraction digits, as the event format stores it (truncated, never rounded).</summary>
    public static string Timestamp(DateTime utc) => Timestamps.Format(utc);

    /// <summary>An instant given in nanoseconds since the Unix epoch; null for zero (OTLP's "unset").</summary>
    public static DateTime? FromUnixNanos(ulong nanos) =>
        nanos == 0 || nanos / 100 > (ulong)(DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks) ? null : DateTime.UnixEpoch.AddTicks((long)(nanos / 100));
}
