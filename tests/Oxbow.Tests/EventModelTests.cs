using System.Text;
using Oxbow.Codec;

namespace Oxbow.Tests;

[Collection(Support.GlobalState.Name)]
public class EventModelTests
{
    [Theory]
    [InlineData("request")]
    [InlineData("request.db")]
    [InlineData("a-b_c.d9.e")]
    public void Valid_type_names_are_accepted(string type) => Assert.Equal(type, EventType.Validate(type));

    [Theory]
    [InlineData("../x", "segments must not be empty")]
    [InlineData("a/b", "'/' is not allowed")]
    [InlineData("Request", "'R' is not allowed")]
    [InlineData("", "it is empty")]
    [InlineData("request..db", "segments must not be empty")]
    [InlineData(".db", "segments must not be empty")]
    [InlineData("db.", "segments must not be empty")]
    [InlineData("req uest", "' ' is not allowed")]
    public void Invalid_type_names_throw_an_argument_exception_naming_the_problem(string type, string problem)
    {
        var error = Assert.Throws<ArgumentException>(() => EventType.Validate(type));
        Assert.Contains($"Invalid event type '{type}'", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void A_type_longer_than_the_limit_is_rejected()
    {
        Assert.True(EventType.IsValid(new string('a', EventType.MaxLength)));
        Assert.Contains("longer than 128", Assert.Throws<ArgumentException>(() => EventType.Validate(new string('a', EventType.MaxLength + 1))).Message);
    }

    [Fact]
    public void Ids_are_32_lowercase_hex_digits_unique_and_ordered_by_time()
    {
        var early = OxId.NewId(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var late = OxId.NewId(new DateTime(2026, 1, 1, 0, 0, 1, DateTimeKind.Utc));
        Assert.True(OxId.IsValid(early));
        Assert.True(string.CompareOrdinal(early, late) < 0);
        Assert.Equal(new DateTime(2026, 1, 1, 0, 0, 1, DateTimeKind.Utc), OxId.GetTimestamp(late));

        var now = DateTime.UtcNow;
        var many = Enumerable.Range(0, 100_000).Select(_ => OxId.NewId(now)).ToHashSet();
        Assert.Equal(100_000, many.Count);
    }

    [Fact]
    public void Timestamps_have_six_fraction_digits_and_a_z_and_truncate_finer_precision()
    {
        var time = new DateTime(2026, 11, 22, 3, 39, 0, DateTimeKind.Utc).AddTicks(1_234_567);
        Assert.Equal("2026-11-22T03:39:00.123456Z", Timestamps.Format(time));
        Assert.Equal("2026-11-22T03:39:00.000000Z", Timestamps.Format(new DateTime(2026, 11, 22, 3, 39, 0, DateTimeKind.Utc)));
    }

    internal static OxbowEvent SampleEvent()
    {
        var start = new DateTime(2026, 11, 22, 3, 39, 0, DateTimeKind.Utc);
        var e = new OxbowEvent
        {
            Id = "0123456789abcdef0123456789abcdef",
            Type = "request",
            Start = start,
            End = start.AddMilliseconds(250),
            Level = OxLevel.Info,
            Host = "web1",
            Pid = 42,
            App = "shop",
        };
        e.Body.Set("method", "GET");
        e.Body.Set("response.status", 200);
        e.Body.Set("tags", new[] { "a", "b" });
        e.Body.Set("note", "two words");
        return e;
    }

    [Fact]
    public void The_canonical_encoding_has_a_fixed_field_order_and_exact_bytes()
    {
        var e = SampleEvent();
        e.TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        e.SpanId = "00f067aa0ba902b7";
        Assert.Equal(
            """{"id":"0123456789abcdef0123456789abcdef","type":"request","start":"2026-11-22T03:39:00.000000Z","end":"2026-11-22T03:39:00.250000Z","level":"info","host":"web1","pid":42,"app":"shop","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","body":{"method":"GET","response":{"status":200},"tags":["a","b"],"note":"two words"}}""",
            e.ToString());
    }

    [Fact]
    public void Parsing_the_canonical_encoding_gives_back_the_same_bytes()
    {
        var json = SampleEvent().ToString();
        var parsed = CanonicalJson.Parse(Encoding.UTF8.GetBytes(json));
        Assert.Equal(json, parsed.ToString());
        Assert.Equal(200L, parsed["response.status"]);
    }

    [Fact]
    public void Strings_are_escaped_and_invalid_utf16_becomes_a_replacement_character()
    {
        var e = SampleEvent();
        e.Body = new FieldMap();
        e.Body.Set("text", "quote\" back\\ newline\n tab\t bell\u0007 lone\ud800 é");
        Assert.EndsWith("""
            "body":{"text":"quote\" back\\ newline\n tab\t bell\u0007 lone� é"}}
            """, e.ToString());
    }

    [Fact]
    public void Non_finite_doubles_are_written_as_strings_so_the_line_stays_valid_json()
    {
        var e = SampleEvent();
        e.Body = new FieldMap();
        e.Body.Set("nan", double.NaN);
        e.Body.Set("inf", double.PositiveInfinity);
        Assert.EndsWith("""
            "body":{"nan":"NaN","inf":"Infinity"}}
            """, e.ToString());
    }

    [Theory]
    [InlineData("not json", "Not valid JSON")]
    [InlineData("[1]", "must be a JSON object")]
    [InlineData("""{"type":"x"}""", "Missing or non-string 'id'")]
    [InlineData("""{"id":"a","type":"x","start":"yesterday","end":"x","level":"info"}""", "'start' is not an ISO-8601 time")]
    [InlineData("""{"id":"a","type":"x","start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:00Z","level":"loud"}""", "Unknown level 'loud'")]
    public void Parsing_rejects_malformed_lines_with_a_clear_message(string line, string message)
    {
        var error = Assert.Throws<FormatException>(() => CanonicalJson.Parse(Encoding.UTF8.GetBytes(line)));
        Assert.Contains(message, error.Message);
    }
}
