using System.Text;
using System.Text.Json;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Resource.V1;
using Oxbow.Receivers.Events;
using Oxbow.Receivers.Otlp;
using Oxbow.Receivers.Seq;

namespace Oxbow.Daemon.Tests;

/// <summary>
/// The receivers' mapping in process, on inputs the real clients rarely send: every OTLP value kind read from the wire
/// bytes, fields in an unusual order, malformed bytes, and CLEF lines that are valid JSON but not storable text.
/// </summary>
public sealed class ReceiverMappingTests
{
    private static readonly DateTime Arrival = new(2026, 12, 4, 12, 0, 0, DateTimeKind.Utc);

    private static KeyValue Pair(string key, AnyValue? value) => new() { Key = key, Value = value };

    private static List<JsonElement> Lines(ReceivedEvents events)
    {
        using (events)
        {
            return [.. Encoding.UTF8.GetString(events.Lines.Span).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone())];
        }
    }

    [Fact]
    public void Every_otlp_value_kind_is_read_from_the_wire_bytes_with_dotted_keys_nested_and_the_body_map_after_the_attributes()
    {
        var nested = new KeyValueList { Values = { Pair("a.b", new AnyValue { IntValue = 1 }), Pair("a.c", new AnyValue { StringValue = "x" }) } };
        var record = new LogRecord
        {
            TimeUnixNano = 1_764_849_600_123_456_789,
            SeverityNumber = (SeverityNumber)(-3),
            SeverityText = "Warning",
            EventName = "not a type!",
            TraceId = ByteString.CopyFrom(Convert.FromHexString("4BF92F3577B34DA6A3CE929D0E0E4736")),
            SpanId = ByteString.CopyFrom(new byte[8]),
            Body = new AnyValue { KvlistValue = new KeyValueList { Values = { Pair("from_body", new AnyValue { BoolValue = true }) } } },
            Attributes =
            {
                Pair("http.method", new AnyValue { StringValue = "GET \"quoted\" é" }),
                Pair("http.status_code", new AnyValue { IntValue = -404 }),
                Pair("ratio", new AnyValue { DoubleValue = 0.25 }),
                Pair("nan", new AnyValue { DoubleValue = double.NaN }),
                Pair("list", new AnyValue { ArrayValue = new ArrayValue { Values = { new AnyValue { IntValue = 1 }, new AnyValue { KvlistValue = nested }, new AnyValue() } } }),
                Pair("raw", new AnyValue { BytesValue = ByteString.CopyFrom(1, 2, 3) }),
                Pair("missing", null),
                Pair("{OriginalFormat}", new AnyValue { StringValue = "Served {http.method}" }),
                Pair("exception.type", new AnyValue { StringValue = "System.InvalidOperationException" }),
                Pair("exception.message", new AnyValue { StringValue = "boom" }),
            },
        };
        var scope = new ScopeLogs { Scope = new InstrumentationScope { Name = "Shop.Orders" }, LogRecords = { record } };
        var resource = new Resource { Attributes = { Pair("service.name", new AnyValue { StringValue = "shop" }), Pair("host.name", new AnyValue { StringValue = "web1" }), Pair("process.pid", new AnyValue { IntValue = 42 }), Pair("deployment.environment", new AnyValue { StringValue = "test" }) } };

        // The resource after its scopes: legal protobuf, and it must still apply to them.
        var resourceLogs = new MemoryStream();
        using (var output = new CodedOutputStream(resourceLogs, leaveOpen: true))
        {
            output.WriteTag(2, WireFormat.WireType.LengthDelimited);
            output.WriteMessage(scope);
            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteMessage(resource);
        }

        var request = new MemoryStream();
        using (var output = new CodedOutputStream(request, leaveOpen: true))
        {
            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(resourceLogs.ToArray()));
        }

        var line = Assert.Single(Lines(OtlpLogs.Map(request.ToArray(), new OtlpMapping(), Arrival)));

        Assert.Equal("otel.log", line.GetProperty("type").GetString());
        Assert.Equal("2025-12-04T12:00:00.123456Z", line.GetProperty("end").GetString());
        Assert.Equal("warning", line.GetProperty("level").GetString());
        Assert.Equal("web1", line.GetProperty("host").GetString());
        Assert.Equal(42, line.GetProperty("pid").GetInt32());
        Assert.Equal("shop", line.GetProperty("app").GetString());
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", line.GetProperty("trace_id").GetString());
        Assert.False(line.TryGetProperty("span_id", out _));
        Assert.Equal(
            """{"http":{"method":"GET \"quoted\" é","status_code":-404},"ratio":0.25,"nan":"NaN","list":[1,{"a":{"b":1,"c":"x"}},null],"raw":"AQID","missing":null,"from_body":true,"template":"Served {http.method}","event_name":"not a type!","exception":{"type":"System.InvalidOperationException","message":"boom","frames":[]},"resource":{"deployment":{"environment":"test"}},"scope":"Shop.Orders"}""",
            line.GetProperty("body").GetRawText());
    }

    [Theory]
    [InlineData(new byte[] { 0x0A, 0x05, 0x12 }, "truncated")]
    [InlineData(new byte[] { 0x0B }, "groups are not supported")]
    [InlineData(new byte[] { 0x0A, 0x02, 0x12, 0x80 }, "truncated")]
    public void Malformed_wire_bytes_are_refused_with_the_reason(byte[] body, string reason)
    {
        var error = Assert.Throws<FormatException>(() => OtlpDecoder.Map(OtlpSignal.Logs, body, json: false, new OtlpMapping(), Arrival));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_attribute_nested_past_the_limit_refuses_the_request_instead_of_overflowing_the_stack()
    {
        var value = new AnyValue { StringValue = "deep" };
        for (var i = 0; i < 200; i++)
        {
            value = new AnyValue { ArrayValue = new ArrayValue { Values = { value } } };
        }

        var request = new ExportLogsServiceRequest { ResourceLogs = { new ResourceLogs { ScopeLogs = { new ScopeLogs { LogRecords = { new LogRecord { Attributes = { Pair("deep", value) } } } } } } } };

        var error = Assert.Throws<FormatException>(() => OtlpDecoder.Map(OtlpSignal.Logs, request.ToByteArray(), json: false, new OtlpMapping(), Arrival));

        Assert.Contains("nests deeper than 64 levels", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_clef_line_with_a_lone_surrogate_escape_is_refused_alone_and_the_lines_around_it_are_kept()
    {
        var body = Encoding.UTF8.GetBytes("""
            {"@t":"2026-12-04T10:00:00.0000000Z","@mt":"first {N}","N":1}
            {"@t":"2026-12-04T10:00:01.0000000Z","@mt":"bad","Name":"\ud800"}
            {"@t":"2026-12-04T10:00:02.0000000Z","@mt":"third {N}","N":3,"\u0041b":"escaped name","@@at":"literal"}
            """);
        var problems = new List<string>();

        var lines = Lines(ClefEvents.Map(body, clef: true, new ClefMapping(), problems));

        Assert.Equal(["first 1", "third 3"], lines.Select(l => l.GetProperty("body").GetProperty("message").GetString()));
        Assert.Equal("""{"message":"third 3","template":"third {N}","N":3,"Ab":"escaped name","@at":"literal"}""", lines[1].GetProperty("body").GetRawText());
        Assert.Equal(["line 2: invalid Unicode: a \\u escape at byte 57 is half of a surrogate pair"], problems);
    }

    [Fact]
    public void The_older_events_body_may_be_indented_and_each_event_is_stored_on_one_line()
    {
        var body = Encoding.UTF8.GetBytes("""
            {
              "Events": [
                {
                  "Timestamp": "2026-12-04T10:00:00.0000000+02:00",
                  "Level": "Error",
                  "MessageTemplate": "Order {Order} failed",
                  "Properties": {
                    "Order": { "Id": 7, "Lines": [ 1,
                      2 ] },
                    "MachineName": "web2"
                  }
                },
                "not an event"
              ]
            }
            """);
        var problems = new List<string>();

        var events = ClefEvents.Map(body, clef: false, new ClefMapping(), problems);
        var text = Encoding.UTF8.GetString(events.Lines.Span);
        var line = Assert.Single(Lines(events));

        Assert.Equal(1, text.Count(c => c == '\n'));
        Assert.Equal("2026-12-04T08:00:00.000000Z", line.GetProperty("end").GetString());
        Assert.Equal("error", line.GetProperty("level").GetString());
        Assert.Equal("web2", line.GetProperty("host").GetString());
        Assert.Equal("""{"message":"Order { Id: 7, Lines: [1, 2] } failed","template":"Order {Order} failed","Order":{"Id":7,"Lines":[1,2]}}""", line.GetProperty("body").GetRawText());
        Assert.Equal(["event 2: an event must be a JSON object"], problems);
    }

    [Theory]
    [InlineData("""{"@t":"2026-12-04T10:00:00.0000000Z","@mt":"User {User} said {Text:l} {{literal}} {Missing} {N} {Ok}","User":"ab","Text":"caf\u00e9","N":-1.5,"Ok":true}""", "User \"ab\" said café {literal} {Missing} -1.5 true")]
    [InlineData("""{"@t":"2026-12-04T10:00:00.0000000Z","@mt":"[{N,6}] [{Ok,-6}] {User}","User":"say \"hi\"","N":-1.5,"Ok":true}""", "[  -1.5] [true  ] \"say \\\"hi\\\"\"")]
    [InlineData("""{"@t":"2026-12-04T10:00:00.0000000Z","@mt":"Tab\tthen {User}","User":"x"}""", "Tab\tthen \"x\"")]
    [InlineData("""{"@t":"2026-12-04T10:00:00.0000000Z","@mt":"Items {Items}","Items":[1,"two"]}""", "Items [1, \"two\"]")]
    public void A_message_is_rendered_from_the_template_as_serilog_renders_it_whether_from_json_text_or_decoded(string line, string message)
    {
        var problems = new List<string>();

        var stored = Assert.Single(Lines(ClefEvents.Map(Encoding.UTF8.GetBytes(line), clef: true, new ClefMapping(), problems)));

        Assert.Empty(problems);
        Assert.Equal(message, stored.GetProperty("body").GetProperty("message").GetString());
    }

    [Fact]
    public void A_pooled_line_buffer_that_grows_keeps_what_was_written_and_hands_out_the_new_space()
    {
        using var buffer = new PooledBufferWriter(16);
        var expected = new List<byte>();
        for (var i = 0; i < 300; i++)
        {
            var span = buffer.GetSpan(7);
            Assert.True(span.Length >= 7);
            for (var j = 0; j < 7; j++)
            {
                span[j] = (byte)(i + j);
                expected.Add((byte)(i + j));
            }

            buffer.Advance(7);
        }

        Assert.Equal(expected, buffer.WrittenSpan.ToArray());
    }
}
