using System.Buffers;
using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using Oxbow.Receivers.Events;

namespace Oxbow.Receivers.Otlp;

/// <summary>
/// OTLP log records as events (docs/event-format.md, "OTLP"): the type from <c>event.name</c> (else
/// <see cref="OtlpMapping.LogType"/>), <c>end</c> from the record's time (else its observed time, else arrival), the
/// level from the severity number, a string body as <c>message</c> and a map body as fields, attributes as fields
/// (dotted keys nest), <c>{OriginalFormat}</c> (Microsoft.Extensions.Logging's template) or
/// <c>message_template.text</c> (Serilog's) as <c>template</c>, and
/// <c>exception.*</c> as the structured exception.
/// </summary>
internal static class OtlpLogs
{
    public static ReceivedEvents Map(ExportLogsServiceRequest request, OtlpMapping mapping, DateTime arrivalUtc)
    {
        var output = new ArrayBufferWriter<byte>(Math.Max(4096, request.CalculateSize() * 4));
        var events = 0;
        var rejected = 0;
        string? reason = null;
        using var writer = new EventLineWriter(output);
        var fields = new FieldTree<AnyValue>();
        foreach (var resourceLogs in request.ResourceLogs)
        {
            var resource = new OtlpResource(resourceLogs.Resource);
            foreach (var scopeLogs in resourceLogs.ScopeLogs)
            {
                foreach (var record in scopeLogs.LogRecords)
                {
                    if (Write(writer, fields, record, resource, scopeLogs.Scope, mapping, arrivalUtc))
                    {
                        events++;
                    }
                    else
                    {
                        rejected++;
                        reason ??= $"a log record's event is over {mapping.MaxEventBytes} bytes";
                    }
                }
            }
        }

        return new ReceivedEvents(output.WrittenMemory, events, rejected, reason);
    }

    private static bool Write(EventLineWriter writer, FieldTree<AnyValue> fields, LogRecord record, OtlpResource resource, InstrumentationScope? scope, OtlpMapping mapping, DateTime arrivalUtc)
    {
        // One pass over the attributes: the few with a meaning of their own are picked out, the rest become fields.
        string? name = string.IsNullOrEmpty(record.EventName) ? null : record.EventName;
        string? template = null, exceptionType = null, exceptionMessage = null, exceptionText = null;
        fields.Clear();
        foreach (var pair in record.Attributes)
        {
            var value = pair.Value ?? new AnyValue();
            switch (pair.Key)
            {
                case "event.name":
                    name ??= Text(value);
                    break;
                case "{OriginalFormat}":
                case "message_template.text":
                    template ??= Text(value);
                    break;
                case "exception.type":
                    exceptionType = Text(value);
                    break;
                case "exception.message":
                    exceptionMessage = Text(value);
                    break;
                case "exception.stacktrace":
                    exceptionText = Text(value);
                    break;
                default:
                    fields.Add(pair.Key, value);
                    break;
            }
        }

        var type = Oxbow.EventType.IsValid(name) ? name! : mapping.LogType;
        var end = EventLineWriter.FromUnixNanos(record.TimeUnixNano) ?? EventLineWriter.FromUnixNanos(record.ObservedTimeUnixNano) ?? arrivalUtc;
        var json = writer.Begin(type, null, end, Level(record.SeverityNumber, record.SeverityText), resource.Host, resource.Pid, resource.App,
            OtlpValues.Hex(record.TraceId, 16), OtlpValues.Hex(record.SpanId, 8));
        if (record.Body is { } body)
        {
            if (body.ValueCase == AnyValue.ValueOneofCase.KvlistValue)
            {
                foreach (var pair in body.KvlistValue.Values)
                {
                    fields.Add(pair.Key, pair.Value ?? new AnyValue());
                }
            }
            else if (body.ValueCase != AnyValue.ValueOneofCase.None)
            {
                fields.Add("message", body);
            }
        }

        fields.WriteProperties(json, OtlpValues.WriteValue);
        if (template is not null)
        {
            json.WriteString("template"u8, template);
        }

        if (name is not null && type != name)
        {
            // An event.name that cannot be a type is kept as a field.
            json.WriteString("event_name"u8, name);
        }

        if (exceptionType is not null || exceptionMessage is not null || exceptionText is not null)
        {
            ExceptionText.Write(json, exceptionType, exceptionMessage, exceptionText);
        }

        resource.WriteFields(json, scope);
        return writer.End(mapping.MaxEventBytes);

        static string? Text(AnyValue value) => value.ValueCase == AnyValue.ValueOneofCase.StringValue ? value.StringValue : null;
    }

    /// <summary>The semantic conventions' <c>exception.*</c> attributes as Oxbow's structured exception.</summary>
    internal static void WriteException(System.Text.Json.Utf8JsonWriter json, RepeatedField<KeyValue> attributes)
    {
        var type = OtlpValues.String(attributes, "exception.type");
        var message = OtlpValues.String(attributes, "exception.message");
        var stack = OtlpValues.String(attributes, "exception.stacktrace");
        if (type is not null || message is not null || stack is not null)
        {
            ExceptionText.Write(json, type, message, stack);
        }
    }

    /// <summary>OTLP severity numbers 1–24 in six bands of four; unset falls back to the text, else info.</summary>
    internal static string Level(SeverityNumber number, string text) => (int)number switch
    {
        >= 1 and <= 4 => "trace",
        >= 5 and <= 8 => "debug",
        >= 9 and <= 12 => "info",
        >= 13 and <= 16 => "warning",
        >= 17 and <= 20 => "error",
        >= 21 => "critical",
        _ => LevelNames.FromText(text) ?? "info",
    };

}
