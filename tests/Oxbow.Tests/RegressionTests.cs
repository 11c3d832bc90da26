using System.Net;
using System.Numerics;
using Oxbow.Rendering;
using Oxbow.Sinks;
using Oxbow.Testing;
using Oxbow.Tests.Support;

namespace Oxbow.Tests;

/// <summary>Defects a new user hit (issue 15), each pinned by the behaviour that is right.</summary>
[Collection(Support.GlobalState.Name)]
public class RegressionTests : OxbowTestBase
{
    private sealed class ThrowingToString
    {
        public override string ToString() => throw new InvalidOperationException("no text");
    }

    private sealed class Node
    {
        public string Name { get; set; } = "";

        public Node? Next { get; set; }
    }

    private sealed record Order(int Id, string Country, IReadOnlyList<string> Tags);

    private static IEnumerable<int> ThrowingSequence()
    {
        yield return 1;
        throw new InvalidDataException("lazy failure");
    }

    private static IEnumerable<int> Endless()
    {
        for (var i = 0; ; i++)
        {
            yield return i;
        }
    }

    private static string Body(OxCapture capture) => ContextDataTests.BodyJson(Assert.Single(capture.Lines));

    [Fact]
    public void A_context_that_ends_normally_inside_a_catch_block_is_not_failed()
    {
        using var capture = OxCapture.Start();
        try
        {
            throw new TimeoutException("first attempt");
        }
        catch (TimeoutException)
        {
            using (Ox.Context("retry"))
            {
                Ox.Set("attempt", 2);
            }
        }

        var e = Assert.Single(capture.Events);
        Assert.Equal(OxLevel.Info, e.Level);
        Assert.False(e.Body.ContainsKey("exception"));
    }

    [Fact]
    public void An_exception_leaving_a_context_opened_inside_a_catch_block_still_marks_it_failed()
    {
        using var capture = OxCapture.Start();
        try
        {
            try
            {
                throw new TimeoutException("first attempt");
            }
            catch (TimeoutException)
            {
                using (Ox.Context("fallback"))
                {
                    throw new IOException("fallback failed too");
                }
            }
        }
        catch (IOException)
        {
        }

        var e = Assert.Single(capture.Events);
        Assert.Equal(OxLevel.Error, e.Level);
        Assert.Equal("System.IO.IOException", e["exception.type"]);
    }

    [Fact]
    public void A_value_whose_ToString_throws_becomes_a_marker_and_never_reaches_the_caller()
    {
        Configure();
        using var capture = OxCapture.Start();
        using (Ox.Context("job"))
        {
            Ox.Set("bad", new ThrowingToString());
            Ox.Set("good", 1);
        }

        Ox.Log.Info("logged", "bad", new ThrowingToString(), "good", 2);
        Assert.Equal(2, capture.Events.Count);
        Assert.Equal("""{"bad":"<error: InvalidOperationException>","good":1}""", ContextDataTests.BodyJson(capture.Lines[0]));
        Assert.Equal("""{"event":"logged","bad":"<error: InvalidOperationException>","good":2}""", ContextDataTests.BodyJson(capture.Lines[1]));
        Assert.Equal(2, Ox.Stats.ValueErrors);
        Assert.Equal(0, Ox.Stats.InternalErrors);
    }

    [Fact]
    public void A_lazy_sequence_that_throws_becomes_a_marker_and_an_endless_one_is_cut()
    {
        using var capture = OxCapture.Start();
        Ox.Log.Info("seq", "bad", ThrowingSequence(), "endless", Endless());
        var e = Assert.Single(capture.Events);
        Assert.Equal("<error: InvalidDataException>", e["bad"]);
        var endless = Assert.IsType<List<object?>>(e["endless"]);
        Assert.Equal(FieldValue.MaxItems + 1, endless.Count);
        Assert.Equal("[truncated]", endless[^1]);
    }

    [Fact]
    public void A_one_element_array_stays_an_array()
    {
        using var capture = OxCapture.Start();
        using (Ox.Context("job"))
        {
            Ox.Set("one", new[] { "only" });
            Ox.Set("two", "a", "b");
            Ox.Set("single", "x");
        }

        Assert.Equal("""{"one":["only"],"two":["a","b"],"single":"x"}""", Body(capture));
    }

    [Fact]
    public void Dates_times_and_other_framework_values_are_written_in_their_standard_forms()
    {
        using var capture = OxCapture.Start();
        Ox.Log.Info(
            "values",
            "date", new DateOnly(2013, 12, 10),
            "time", new TimeOnly(14, 5, 7, 250),
            "whole_time", new TimeOnly(9, 30),
            "span", TimeSpan.FromMilliseconds(1500),
            "guid", new Guid("0f8fad5b-d9cb-469f-a165-70867728950e"),
            "enum", DayOfWeek.Tuesday);
        Ox.Log.Info(
            "more",
            "uri", new Uri("https://example.org/a b?q=1"),
            "ip", IPAddress.Parse("::1"),
            "bytes", new byte[] { 1, 2, 3, 250 },
            "half", (Half)1.5,
            "int128", (Int128)42,
            "huge", BigInteger.Pow(10, 30));
        Ox.Log.Info("decimal", "amount", 12.50m);
        Assert.Equal(
            """{"event":"values","date":"2013-12-10","time":"14:05:07.25","whole_time":"09:30:00","span":1.5,"guid":"0f8fad5b-d9cb-469f-a165-70867728950e","enum":"Tuesday"}""",
            ContextDataTests.BodyJson(capture.Lines[0]));
        Assert.Equal(
            """{"event":"more","uri":"https://example.org/a%20b?q=1","ip":"::1","bytes":"AQID+g==","half":1.5,"int128":42,"huge":"1000000000000000000000000000000"}""",
            ContextDataTests.BodyJson(capture.Lines[1]));
        Assert.Equal("""{"event":"decimal","amount":12.50}""", ContextDataTests.BodyJson(capture.Lines[2]));
    }

    [Fact]
    public void Anonymous_objects_records_and_pocos_are_captured_as_nested_objects()
    {
        using var capture = OxCapture.Start();
        var loop = new Node { Name = "a" };
        loop.Next = new Node { Name = "b", Next = loop };
        Ox.Log.Info("objects", "anon", new { x = 1, y = "two" }, "order", new Order(7, "NL", ["gift"]), "loop", loop);
        Assert.Equal(
            """{"event":"objects","anon":{"x":1,"y":"two"},"order":{"Id":7,"Country":"NL","Tags":["gift"]},"loop":{"Name":"a","Next":{"Name":"b","Next":"[cycle]"}}}""",
            Body(capture));
    }

    [Fact]
    public void Object_capture_is_depth_limited()
    {
        var root = new Node { Name = "0" };
        var node = root;
        for (var i = 1; i < 20; i++)
        {
            node.Next = new Node { Name = i.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            node = node.Next;
        }

        var captured = Assert.IsType<FieldMap>(FieldValue.Normalize(root));
        Assert.True(captured.TryGetPath(string.Join('.', Enumerable.Repeat("Next", FieldValue.MaxObjectDepth - 1)), out var deepest));
        Assert.IsType<FieldMap>(deepest);
        Assert.True(captured.TryGetPath(string.Join('.', Enumerable.Repeat("Next", FieldValue.MaxObjectDepth)), out var cut));
        Assert.Equal(typeof(Node).FullName, cut);
    }

    [Fact]
    public void A_capture_takes_events_away_from_the_configured_sinks_and_follows_the_configured_level()
    {
        var sink = Configure(o => o.MinimumLevel = OxLevel.Info);
        using (var capture = OxCapture.Start())
        {
            Ox.Log.Debug("hidden");
            Ox.Log.Info("seen");
            Assert.Equal(["seen"], capture.Events.Select(e => e["event"]));
        }

        Ox.Log.Info("after");
        Ox.Flush();
        Assert.Equal(["after"], sink.Events.Select(e => e["event"]));
    }

    [Fact]
    public void A_clean_scope_drops_bindings_and_contexts_that_earlier_work_left_behind()
    {
        using var capture = OxCapture.Start();
        var leaked = Ox.BindScope("tenant", "left-over");
        var leakedContext = Ox.Context("previous_job");
        using (Ox.BeginCleanScope())
        {
            Assert.Null(Ox.Current);
            using (Ox.Context("job"))
            {
                Ox.Log.Info("work");
            }
        }

        Assert.Same(leakedContext, Ox.Current);
        leakedContext.Dispose();
        leaked.Dispose();
        var job = capture.Single("job");
        Assert.False(job.Body.ContainsKey("tenant"));
        Assert.False(capture.Single("job.log").Body.ContainsKey("tenant"));
    }

    [Fact]
    public void Ambient_bindings_reach_contexts_as_well_as_log_events()
    {
        using var capture = OxCapture.Start();
        using (Ox.BindScope("request_id", "r-1"))
        using (Ox.Context("request"))
        {
            using (Ox.Context(".db"))
            {
                Ox.Set("rows", 3);
            }

            Ox.Set("request_id", "own wins");
        }

        Assert.Equal("r-1", capture.Single("request.db")["request_id"]);
        Assert.Equal("own wins", capture.Single("request")["request_id"]);
    }

    [Fact]
    public void Trace_is_a_level_of_its_own_and_unknown_names_are_refused_with_the_valid_list()
    {
        Assert.True(OxLevels.TryParse("trace", out var trace));
        Assert.True(OxLevels.TryParse("Verbose", out var verbose));
        Assert.Equal((OxLevel.Trace, OxLevel.Trace), (trace, verbose));
        Assert.True(OxLevel.Trace < OxLevel.Debug);
        Assert.Equal("trace", OxLevel.Trace.Name());
        Assert.False(OxLevels.TryParse("loud", out _));
        var ex = Assert.Throws<ArgumentException>(() => OxbowOptions.FromEnvironment(name => name == "OXBOW_LEVEL" ? "loud" : null));
        Assert.Contains("trace, debug, info, warning, error, critical, off", ex.Message);

        using var capture = OxCapture.Start(OxLevel.Trace);
        Ox.Log.Trace("finest");
        Assert.Equal("trace", Assert.Single(capture.Events).Level.Name());
    }

    [Fact]
    public void Logfmt_keys_with_spaces_are_made_bare_words()
    {
        var e = new OxbowEvent { Id = new string('0', 32), Type = "log", Start = DateTime.UnixEpoch, End = DateTime.UnixEpoch, Host = "h", App = "a" };
        e.Body.Set("a b", 1);
        e.Body.Set("x=y", "v");
        var line = new LogfmtRenderer().RenderToString(e);
        Assert.EndsWith(" a_b=1 x_y=v\n", line);
    }

    [Fact]
    public void Cee_with_an_empty_app_name_carries_the_process_name()
    {
        var e = new OxbowEvent { Id = new string('0', 32), Type = "log", Start = DateTime.UnixEpoch, End = DateTime.UnixEpoch, Host = "h", App = "" };
        var line = new CeeRenderer().RenderToString(e);
        Assert.Contains($"\"p_proc\":\"{System.Diagnostics.Process.GetCurrentProcess().ProcessName}\"", line);
        Assert.DoesNotContain("\"p_proc\":\"\"", line);
    }

    [Fact]
    public void Redaction_keeps_an_empty_or_null_value_as_it_is()
    {
        using var capture = OxCapture.Start();
        Ox.Log.Info("keys", "api_key", "", "password", "hunter2", "token", (string?)null);
        Assert.Equal("""{"event":"keys","api_key":"","password":"[redacted]","token":null}""", Body(capture));
    }

    [Fact]
    public void Invalid_structured_data_field_names_are_refused_when_the_sink_is_configured()
    {
        var options = new Sinks.Syslog.SyslogSinkOptions();
        options.StructuredDataFields.Add("ok_name");
        options.StructuredDataFields.Add("has space");
        var ex = Assert.Throws<ArgumentException>(() => new Sinks.Syslog.SyslogSink(options));
        Assert.Contains("'has space'", ex.Message);
        Assert.DoesNotContain("'ok_name'", ex.Message);
    }

    [Fact]
    public void Rfc3164_datagrams_default_to_1024_bytes_and_rfc5424_to_2048()
    {
        Assert.Equal(1024, new Sinks.Syslog.SyslogSinkOptions { Format = Sinks.Syslog.SyslogFormat.Rfc3164 }.EffectiveMaxDatagramBytes);
        Assert.Equal(2048, new Sinks.Syslog.SyslogSinkOptions().EffectiveMaxDatagramBytes);
    }

    private sealed class BrokenSink : IEventSink
    {
        public void Emit(in EventBatch batch) => throw new IOException("disk gone");
    }

    [Fact]
    public void A_failing_sink_is_reported_once_on_the_error_output_and_then_summarised()
    {
        var output = new StringWriter();
        Configure(o =>
        {
            o.Sinks.Clear();
            o.WriteTo(new BrokenSink());
            o.SinkFailureOutput = output;
        });
        for (var i = 0; i < 5; i++)
        {
            Ox.Log.Info("lost", "n", i);
            Ox.Flush();
        }

        var text = output.ToString();
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("oxbow: sink BrokenSink failed: IOException: disk gone; 1 event(s) lost.", text);
        Assert.Contains("OXBOW_SINK_ERRORS=off", text);
        Assert.Equal(5, Ox.Stats.SinkErrors);
    }
}
