using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Oxbow.Receivers.Events;

/// <summary>
/// Writes events in Oxbow's line format for the collector's ingest pipeline, which assigns ids, normalizes and
/// validates them (docs/event-format.md). One writer serves a whole request: each event is one line.
/// </summary>
internal sealed class EventLineWriter(IBufferWriter<byte> output) : IDisposable
{
    private readonly Utf8JsonWriter _json = new(output, new JsonWriterOptions { SkipValidation = false });

    /// <summary>Starts an event: the envelope, then the caller writes the body's properties and calls <see cref="End"/>.</summary>
    public Utf8JsonWriter Begin(string type, DateTime? start, DateTime end, string level, string? host, long? pid, string? app, string? traceId, string? spanId)
    {
        _json.Reset(output);
        _json.WriteStartObject();
        _json.WriteString("type"u8, type);
        if (start is { } s)
        {
            _json.WriteString("start"u8, Timestamp(s));
        }

        _json.WriteString("end"u8, Timestamp(end));
        _json.WriteString("level"u8, level);
        if (!string.IsNullOrEmpty(host))
        {
            _json.WriteString("host"u8, host);
        }

        if (pid is { } p)
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

    public void End()
    {
        _json.WriteEndObject();
        _json.WriteEndObject();
        _json.Flush();
        output.Write("\n"u8);
    }

    public void Dispose() => _json.Dispose();

    /// <summary>ISO-8601 UTC with six fraction digits, as the event format stores it (truncated, never rounded).</summary>
    public static string Timestamp(DateTime utc) =>
        new DateTime(utc.Ticks - (utc.Ticks % 10), DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>An instant given in nanoseconds since the Unix epoch; null for zero (OTLP's "unset").</summary>
    public static DateTime? FromUnixNanos(ulong nanos) =>
        nanos == 0 || nanos / 100 > (ulong)(DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks) ? null : DateTime.UnixEpoch.AddTicks((long)(nanos / 100));
}
