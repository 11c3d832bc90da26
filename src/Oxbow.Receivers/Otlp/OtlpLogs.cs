using Google.Protobuf;
using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Resource.V1;
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
/// <remarks>
/// Records are mapped straight from the request's protobuf bytes (<see cref="ProtoReader"/>): the generated classes
/// cost a string and two objects per attribute, which was most of a record's cost. Resources and scopes, once per
/// request, are still decoded as messages.
/// </remarks>
internal static class OtlpLogs
{
    private static readonly ReadOnlyMemory<byte> MessageKey = "message"u8.ToArray();

    /// <summary>Maps an <c>ExportLogsServiceRequest</c>'s bytes.</summary>
    /// <exception cref="FormatException">The bytes are not an export request.</exception>
    public static ReceivedEvents Map(ReadOnlyMemory<byte> request, OtlpMapping mapping, DateTime arrivalUtc)
    {
        var output = new PooledBufferWriter(Math.Max(4096, request.Length * 3));
        try
        {
            var state = new MapState(new EventLineWriter(output), mapping, arrivalUtc);
            using (state.Writer)
            {
                foreach (var resourceLogs in new MessageFields(request, 1))
                {
                    MapResourceLogs(state, resourceLogs);
                }
            }

            return new ReceivedEvents(output.WrittenMemory, state.Events, state.Rejected, state.Reason, output);
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    /// <summary>Maps a decoded request (OTLP/JSON and gRPC hand one over) by its bytes, so both take one path.</summary>
    public static ReceivedEvents Map(ExportLogsServiceRequest request, OtlpMapping mapping, DateTime arrivalUtc) =>
        Map(request.ToByteArray(), mapping, arrivalUtc);

    private sealed class MapState(EventLineWriter writer, OtlpMapping mapping, DateTime arrivalUtc)
    {
        public EventLineWriter Writer { get; } = writer;

        public OtlpMapping Mapping { get; } = mapping;

        public DateTime ArrivalUtc { get; } = arrivalUtc;

        public FieldTree<ReadOnlyMemory<byte>> Fields { get; } = new();

        public int Events { get; set; }

        public int Rejected { get; set; }

        public string? Reason { get; set; }
    }

    private static void MapResourceLogs(MapState state, ReadOnlyMemory<byte> resourceLogs)
    {
        // The resource may follow its scopes on the wire: it is found first (a repeated one: the last wins).
        Resource? resource = null;
        foreach (var bytes in new MessageFields(resourceLogs, 1))
        {
            resource = Resource.Parser.ParseFrom(bytes.Span);
        }

        var origin = new OtlpResource(resource);
        foreach (var scopeLogs in new MessageFields(resourceLogs, 2))
        {
            MapScopeLogs(state, origin, scopeLogs);
        }
    }

    private static void MapScopeLogs(MapState state, OtlpResource resource, ReadOnlyMemory<byte> scopeLogs)
    {
        InstrumentationScope? scope = null;
        foreach (var bytes in new MessageFields(scopeLogs, 1))
        {
            scope = InstrumentationScope.Parser.ParseFrom(bytes.Span);
        }

        foreach (var record in new MessageFields(scopeLogs, 2))
        {
            if (Write(state, record, resource, scope))
            {
                state.Events++;
            }
            else
            {
                state.Rejected++;
                state.Reason ??= $"a log record's event is over {state.Mapping.MaxEventBytes} bytes";
            }
        }
    }

    private static bool Write(MapState state, ReadOnlyMemory<byte> record, OtlpResource resource, InstrumentationScope? scope)
    {
        // One pass over the record: the attributes with a meaning of their own are picked out, the rest become fields.
        string? name = null, template = null, exceptionType = null, exceptionMessage = null, exceptionText = null;
        ulong time = 0, observed = 0, severity = 0;
        (int Start, int Length) severityText = default, body = default, traceId = default, spanId = default;
        var fields = state.Fields;
        fields.Clear();
        var span = record.Span;
        var reader = new ProtoReader(span);
        while (!reader.End)
        {
            var field = reader.ReadTag(out var wire);
            switch (field)
            {
                case 1 when wire == WireType.Fixed64:
                    time = reader.Fixed64();
                    break;
                case 11 when wire == WireType.Fixed64:
                    observed = reader.Fixed64();
                    break;
                case 2 when wire == WireType.Varint:
                    severity = reader.Varint();
                    break;
                case 3 when wire == WireType.LengthDelimited:
                    severityText = reader.Slice();
                    break;
                case 5 when wire == WireType.LengthDelimited:
                    body = reader.Slice();
                    break;
                case 9 when wire == WireType.LengthDelimited:
                    traceId = reader.Slice();
                    break;
                case 10 when wire == WireType.LengthDelimited:
                    spanId = reader.Slice();
                    break;
                case 12 when wire == WireType.LengthDelimited:
                    var eventName = reader.Bytes();
                    name = eventName.IsEmpty ? null : System.Text.Encoding.UTF8.GetString(eventName);
                    break;
                case 6 when wire == WireType.LengthDelimited:
                    var (start, length) = reader.Slice();
                    var (key, value) = OtlpWireValue.Pair(record.Slice(start, length));
                    switch (Special(key.Span))
                    {
                        case Attribute.EventName:
                            name ??= OtlpWireValue.String(value.Span);
                            break;
                        case Attribute.Template:
                            template ??= OtlpWireValue.String(value.Span);
                            break;
                        case Attribute.ExceptionType:
                            exceptionType = OtlpWireValue.String(value.Span);
                            break;
                        case Attribute.ExceptionMessage:
                            exceptionMessage = OtlpWireValue.String(value.Span);
                            break;
                        case Attribute.ExceptionStacktrace:
                            exceptionText = OtlpWireValue.String(value.Span);
                            break;
                        default:
                            fields.Add(key, value);
                            break;
                    }

                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        var type = Oxbow.EventType.IsValid(name) ? name! : state.Mapping.LogType;
        var end = EventLineWriter.FromUnixNanos(time) ?? EventLineWriter.FromUnixNanos(observed) ?? state.ArrivalUtc;
        // An enum is an int32 on the wire (a negative one as ten bytes); the text is read only when the number is unset.
        var number = (SeverityNumber)unchecked((int)severity);
        var level = number is >= SeverityNumber.Trace and <= SeverityNumber.Fatal4 ? Level(number, "")
            : Level(number, System.Text.Encoding.UTF8.GetString(span.Slice(severityText.Start, severityText.Length)));
        Span<char> traceHex = stackalloc char[32];
        Span<char> spanHex = stackalloc char[16];
        var json = state.Writer.Begin(type, null, end, level, resource.Host, resource.Pid, resource.App,
            OtlpWireValue.Hex(span.Slice(traceId.Start, traceId.Length), 16, traceHex), OtlpWireValue.Hex(span.Slice(spanId.Start, spanId.Length), 8, spanHex));
        if (body.Length > 0)
        {
            var bodyValue = record.Slice(body.Start, body.Length);
            var kind = OtlpWireValue.Kind(bodyValue.Span, out var pairs, out _);
            if (kind == 6)
            {
                OtlpWireValue.AddPairs(fields, bodyValue.Slice(pairs.Start, pairs.Length), field: 1);
            }
            else if (kind != 0)
            {
                fields.Add(MessageKey, bodyValue);
            }
        }

        fields.WriteProperties(json, OtlpWireValue.WriteValue);
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
        return state.Writer.End(state.Mapping.MaxEventBytes);
    }

    private enum Attribute
    {
        Field,
        EventName,
        Template,
        ExceptionType,
        ExceptionMessage,
        ExceptionStacktrace,
    }

    private static Attribute Special(ReadOnlySpan<byte> key) => key.Length < 10 || key[0] is not ((byte)'e' or (byte)'{' or (byte)'m') ? Attribute.Field
        : key.SequenceEqual("event.name"u8) ? Attribute.EventName
        : key.SequenceEqual("{OriginalFormat}"u8) || key.SequenceEqual("message_template.text"u8) ? Attribute.Template
        : key.SequenceEqual("exception.type"u8) ? Attribute.ExceptionType
        : key.SequenceEqual("exception.message"u8) ? Attribute.ExceptionMessage
        : key.SequenceEqual("exception.stacktrace"u8) ? Attribute.ExceptionStacktrace
        : Attribute.Field;

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
