using System.Buffers;
using System.Text.Json;

namespace Oxbow.Receivers.Events;

/// <summary>
/// Writes events as canonical lines (docs/event-format.md: id, type, start and end first, in that order and form), so
/// the collector's ingest pipeline checks them in place as it does its own clients' lines instead of rewriting each.
/// One writer serves a whole request: each event is one line.
/// </summary>
internal sealed class EventLineWriter(ArrayBufferWriter<byte> output) : IDisposable
{
    private readonly Utf8JsonWriter _json = new(output, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    private readonly Timestamps.Cache _times = new();
    private readonly Timestamps.Cache _endTimes = new();
    private readonly long _arrivalTicks = DateTime.UtcNow.Ticks;
    private int _eventStart;

    /// <summary>Starts an event: the envelope, then the caller writes the body's properties and calls <see cref="End"/>.</summary>
    public Utf8JsonWriter Begin(string type, DateTime? start, DateTime end, string level, string? host, long? pid, string? app, string? traceId, string? spanId)
    {
        // The head is written as bytes (ids and times formatted in place): it is most of the per-event cost otherwise.
        Span<byte> id = stackalloc byte[OxId.Length];
        OxId.Write(id, _arrivalTicks);
        Span<byte> startText = stackalloc byte[Timestamps.Length];
        Span<byte> endText = stackalloc byte[Timestamps.Length];
        Timestamps.Write(endText, end.Ticks, _endTimes);
        Timestamps.Write(startText, (start ?? end).Ticks, _times);
        _eventStart = output.WrittenCount;
        _json.Reset(output);
        _json.WriteStartObject();
        _json.WriteString("id"u8, id);
        _json.WriteString("type"u8, type);
        _json.WriteString("start"u8, startText);
        _json.WriteString("end"u8, endText);
        _json.WriteString("level"u8, level);
        if (!string.IsNullOrEmpty(host))
        {
            _json.WriteString("host"u8, host);
        }

        if (pid is { } p and >= int.MinValue and <= int.MaxValue)
        {
            _json.WriteNumber("pid"u8, p);
        }

        if (!string.IsNullOrEmpty(app))
        {
            _json.WriteString("app"u8, app);
        }

        if (traceId is not null)
        {
            _json.WriteString("trace_id"u8, traceId);
        }

        if (spanId is not null)
        {
            _json.WriteString("span_id"u8, spanId);
        }

        _json.WritePropertyName("body"u8);
        _json.WriteStartObject();
        return _json;
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
        var kept = output.WrittenSpan[.._eventStart].ToArray();
        output.ResetWrittenCount();
        output.Write(kept);
        return false;
    }

    public void Dispose() => _json.Dispose();

    /// <summary>ISO-8601 UTC with six fraction digits, as the event format stores it (truncated, never rounded).</summary>
    public static string Timestamp(DateTime utc) => Timestamps.Format(utc);

    /// <summary>An instant given in nanoseconds since the Unix epoch; null for zero (OTLP's "unset").</summary>
    public static DateTime? FromUnixNanos(ulong nanos) =>
        nanos == 0 || nanos / 100 > (ulong)(DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks) ? null : DateTime.UnixEpoch.AddTicks((long)(nanos / 100));
}
