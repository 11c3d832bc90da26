using System.Text.Json;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using Oxbow.Receivers.Events;

namespace Oxbow.Receivers.Otlp;

/// <summary>
/// OTLP spans as events of type <see cref="OtlpMapping.SpanType"/> (docs/event-format.md, "OTLP"): <c>start</c> and
/// <c>end</c>, the trace and span ids in the envelope, and in the body the name, kind, <c>parent_span_id</c>, status,
/// <c>duration</c> (seconds), attributes as fields, and the span's events and links as arrays. A span whose status
/// is an error has level error; others are info.
/// </summary>
internal static class OtlpSpans
{
    public static ReceivedEvents Map(ExportTraceServiceRequest request, OtlpMapping mapping, DateTime arrivalUtc)
    {
        var output = new PooledBufferWriter(Math.Max(4096, request.CalculateSize() * 3));
        var events = 0;
        var rejected = 0;
        string? reason = null;
        using var writer = new EventLineWriter(output);
        foreach (var resourceSpans in request.ResourceSpans)
        {
            var resource = new OtlpResource(resourceSpans.Resource);
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                foreach (var span in scopeSpans.Spans)
                {
                    if (Write(writer, span, resource, scopeSpans.Scope, mapping, arrivalUtc))
                    {
                        events++;
                    }
                    else
                    {
                        rejected++;
                        reason ??= $"a span's event is over {mapping.MaxEventBytes} bytes";
                    }
                }
            }
        }

        return new ReceivedEvents(output.WrittenMemory, events, rejected, reason, output);
    }

    private static bool Write(EventLineWriter writer, Span span, OtlpResource resource, InstrumentationScope? scope, OtlpMapping mapping, DateTime arrivalUtc)
    {
        var end = EventLineWriter.FromUnixNanos(span.EndTimeUnixNano) ?? arrivalUtc;
        var start = EventLineWriter.FromUnixNanos(span.StartTimeUnixNano) is { } s && s <= end ? s : end;
        var error = span.Status?.Code == Status.Types.StatusCode.Error;
        var json = writer.Begin(mapping.SpanType, start, end, error ? "error" : "info", resource.Host, resource.Pid, resource.App,
            OtlpValues.Hex(span.TraceId, 16), OtlpValues.Hex(span.SpanId, 8));
        json.WriteString("name"u8, span.Name);
        json.WriteString("kind"u8, Kind(span.Kind));
        if (OtlpValues.Hex(span.ParentSpanId, 8) is { } parent)
        {
            json.WriteString("parent_span_id"u8, parent);
        }

        json.WriteNumber("duration"u8, (end - start).TotalSeconds);
        if (span.Status is { } status && (status.Code != Status.Types.StatusCode.Unset || status.Message.Length > 0))
        {
            json.WritePropertyName("status"u8);
            json.WriteStartObject();
            json.WriteString("code"u8, status.Code switch { Status.Types.StatusCode.Ok => "ok", Status.Types.StatusCode.Error => "error", _ => "unset" });
            if (status.Message.Length > 0)
            {
                json.WriteString("message"u8, status.Message);
            }

            json.WriteEndObject();
        }

        OtlpValues.Fields(span.Attributes).WriteProperties(json, OtlpValues.WriteValue);
        if (span.Events.Count > 0)
        {
            json.WriteStartArray("events"u8);
            foreach (var e in span.Events)
            {
                json.WriteStartObject();
                json.WriteString("name"u8, e.Name);
                json.WriteString("time"u8, EventLineWriter.Timestamp(EventLineWriter.FromUnixNanos(e.TimeUnixNano) ?? end));
                WriteAttributes(json, e.Attributes);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            // An exception recorded on the span (its "exception" event) is also the span's structured exception.
            if (span.Events.FirstOrDefault(e => e.Name == "exception") is { } exception)
            {
                OtlpLogs.WriteException(json, exception.Attributes);
            }
        }

        if (span.Links.Count > 0)
        {
            json.WriteStartArray("links"u8);
            foreach (var link in span.Links)
            {
                json.WriteStartObject();
                json.WriteString("trace_id"u8, OtlpValues.Hex(link.TraceId, 16));
                json.WriteString("span_id"u8, OtlpValues.Hex(link.SpanId, 8));
                WriteAttributes(json, link.Attributes);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        resource.WriteFields(json, scope);
        return writer.End(mapping.MaxEventBytes);
    }

    private static void WriteAttributes(Utf8JsonWriter json, Google.Protobuf.Collections.RepeatedField<KeyValue> attributes)
    {
        if (attributes.Count > 0)
        {
            json.WritePropertyName("attributes"u8);
            json.WriteStartObject();
            OtlpValues.Fields(attributes).WriteProperties(json, OtlpValues.WriteValue);
            json.WriteEndObject();
        }
    }

    private static string Kind(Span.Types.SpanKind kind) => kind switch
    {
        Span.Types.SpanKind.Server => "server",
        Span.Types.SpanKind.Client => "client",
        Span.Types.SpanKind.Producer => "producer",
        Span.Types.SpanKind.Consumer => "consumer",
        _ => "internal",
    };
}
