using System.Diagnostics;
using System.Text.RegularExpressions;
using Oxbow.Testing;
using Oxbow.Tests.Support;

namespace Oxbow.Tests;

[Collection(Support.GlobalState.Name)]
public class LoggerTests : OxbowTestBase
{
    private static string WithoutId(string line) => Regex.Replace(line, "\"id\":\"[0-9a-f]{32}\"", "\"id\":\"ID\"");

    [Fact]
    public void A_log_call_writes_exact_canonical_bytes()
    {
        Configure();
        using var capture = OxCapture.Start();
        Ox.Log.Info("user_logged_in", "user", "bob", "attempts", 3, "ratio", 0.25, "admin", false, "session", "s-1");
        Assert.Equal(
            $$$"""{"id":"ID","type":"log","start":"2026-11-22T03:39:00.123456Z","end":"2026-11-22T03:39:00.123456Z","level":"info","host":"h","pid":{{{Environment.ProcessId}}},"app":"test","body":{"event":"user_logged_in","user":"bob","attempts":3,"ratio":0.25,"admin":false,"session":"s-1"}}""",
            WithoutId(Assert.Single(capture.Lines)));
    }

    [Fact]
    public void The_fast_path_and_the_processor_path_write_the_same_bytes()
    {
        Configure();
        var bound = Ox.Log.Bind("region", "eu").Bind("tenant", 7);
        using var capture = OxCapture.Start();
        using (Ox.BindScope("request_id", "r-1"))
        {
            bound.Warning("slow", "ms", 1200L, "region", "us");
            Configure(o => o.Enrich(_ => { }));
            bound.Warning("slow", "ms", 1200L, "region", "us");
        }

        Assert.Equal(2, capture.Lines.Count);
        Assert.Equal(WithoutId(capture.Lines[0]), WithoutId(capture.Lines[1]));
        Assert.EndsWith("""
            "body":{"event":"slow","ms":1200,"region":"us","tenant":7,"request_id":"r-1"}}
            """, capture.Lines[0]);
    }

    [Fact]
    public void A_call_formatted_by_the_writer_thread_is_byte_for_byte_the_line_the_calling_thread_writes()
    {
        // To a pipeline a call leaves raw values for the writer thread (LogRecord); to a capture it writes JSON at
        // once. Every kind of value, a context, an Activity, bound, ambient and redacted fields must come out the same.
        var sink = Configure();
        using var activity = new Activity("test").SetIdFormat(ActivityIdFormat.W3C).Start();
        var log = Ox.Log.Bind("region", "eu").Bind("api_key", "k-1");
        void LogAll()
        {
            log.Info("strings", "plain", "bob", "escaped", "quote \" and \\ and \n and é and \uD800 alone", "nothing", (string?)null, "empty", "", "long", new string('x', 100), "password", "hunter2");
            log.Info("numbers", "int", -42, "long", long.MinValue, "ulong", ulong.MaxValue, "short", (short)-7, "byte", (byte)200, "uint", uint.MaxValue);
            log.Info("reals", "short", 0.25, "long", Math.PI, "float", 1.5f, "nan", double.NaN, "decimal", 12.3400m, "span", TimeSpan.FromMilliseconds(1500));
            log.Info("others", "yes", true, "no", false, "guid", Guid.Parse("5f2b6c1e-0000-4000-8000-000000000001"), "when", new DateTime(2026, 12, 4, 10, 0, 0, DateTimeKind.Utc), "offset", new DateTimeOffset(2026, 12, 4, 10, 0, 0, TimeSpan.FromHours(2)));
            log.Info("objects", "anonymous", new { A = 1, B = new[] { "x" } }, "level", OxLevel.Warning, "list", new List<int> { 1, 2 });
            log.Info("region", "region", "us");
            using (Ox.Context("job"))
            {
                log.Warning("in_context", "n", 1);
            }
        }

        // With ambient fields the calling thread merges them with the bound ones; without, the record carries the
        // logger's precomputed bound fields and the writer leaves out those the call set ("region" below).
        foreach (var ambient in new[] { true, false })
        {
            var before = sink.Lines.Count;
            using (ambient ? Ox.BindScope("request_id", "r-1") : null)
            {
                LogAll();
                Assert.True(Ox.Flush());
                using var capture = OxCapture.Start(OxLevel.Trace);
                LogAll();
                var formatted = sink.Lines.Skip(before).Where(l => !l.Contains("\"type\":\"job\"", StringComparison.Ordinal)).Select(WithoutId).ToArray();
                var direct = capture.Lines.Where(l => !l.Contains("\"type\":\"job\"", StringComparison.Ordinal)).Select(WithoutId).ToArray();
                Assert.Equal(7, formatted.Length);
                Assert.Equal(direct.Select(WithoutContextId), formatted.Select(WithoutContextId));
                Assert.Contains("\"trace_id\":\"" + activity.TraceId.ToHexString() + "\"", formatted[0], StringComparison.Ordinal);
                Assert.Contains("\"password\":\"[redacted]\"", formatted[0], StringComparison.Ordinal);
                Assert.EndsWith(ambient ? "\"api_key\":\"[redacted]\",\"request_id\":\"r-1\"}}" : "\"region\":\"us\",\"api_key\":\"[redacted]\"}}", formatted[5]);
            }
        }

        static string WithoutContextId(string line) => Regex.Replace(line, "^{\"id\":\"[0-9a-f]{32}\"", "{\"id\":\"ID\"");
    }

    [Fact]
    public void Bound_loggers_are_immutable_and_unbind_removes_a_key()
    {
        var root = Ox.GetLogger("orders");
        var withUser = root.Bind("user_id", 42);
        var withBoth = withUser.Bind("cart", "c1");
        Assert.Equal(["logger"], root.BoundFields.Select(f => f.Key));
        Assert.Equal(["logger", "user_id", "cart"], withBoth.BoundFields.Select(f => f.Key));
        Assert.Equal(["logger", "cart"], withBoth.Unbind("user_id").BoundFields.Select(f => f.Key));
        Assert.Equal(43L, withUser.Bind("user_id", 43).BoundFields.Single(f => f.Key == "user_id").Value);
        Assert.Equal(42L, withUser.BoundFields.Single(f => f.Key == "user_id").Value);

        var error = Assert.Throws<KeyNotFoundException>(() => root.Unbind("missing"));
        Assert.Contains("'missing' is not bound", error.Message);
        Assert.Same(root, root.TryUnbind("missing"));
        Assert.Equal(["x"], withBoth.New(new BoundField("x", 1)).BoundFields.Select(f => f.Key));
    }

    [Fact]
    public void Call_site_values_win_over_bound_ones_which_win_over_ambient_ones()
    {
        using var capture = OxCapture.Start();
        var log = Ox.Log.Bind("a", "bound").Bind("b", "bound");
        using (Ox.BindScope(new BoundField("a", "ambient"), new BoundField("b", "ambient"), new BoundField("c", "ambient")))
        {
            log.Info("e", "a", "call");
        }

        var e = Assert.Single(capture.Events);
        Assert.Equal(("call", "bound", "ambient"), (e["a"], e["b"], e["c"]));
    }

    [Fact]
    public async Task Ambient_fields_flow_across_await_and_are_restored_when_the_scope_ends()
    {
        using var capture = OxCapture.Start();
        using (Ox.BindScope("request_id", "r-1"))
        {
            await Task.Yield();
            using (Ox.BindScope("request_id", "r-2"))
            {
                Ox.Log.Info("inner");
            }

            await Task.Run(() => Ox.Log.Info("outer"));
        }

        Ox.Log.Info("after");
        Assert.Equal(["r-2", "r-1", null], capture.Events.Select(e => e["request_id"]));
    }

    [Fact]
    public void A_log_call_under_an_activity_carries_its_trace_and_span_and_is_not_lost()
    {
        using var capture = OxCapture.Start();
        using (var activity = new System.Diagnostics.Activity("request").SetIdFormat(System.Diagnostics.ActivityIdFormat.W3C).Start())
        using (Ox.Context("request"))
        {
            Ox.Log.Info("handled");
            Ox.Log.Info("outside_fast_path", "dotted.key", 1);
            var log = capture.Events[0];
            Assert.Equal(("request.log", activity.TraceId.ToHexString(), activity.SpanId.ToHexString()), (log.Type, log.TraceId, log.SpanId));
        }

        Assert.Equal(["request.log", "request.log", "request"], capture.Events.Select(e => e.Type));
        Assert.All(capture.Events, e => Assert.Equal(capture.Events[0].TraceId, e.TraceId));
    }

    [Fact]
    public void A_log_call_inside_a_context_is_a_sub_event_sharing_its_id()
    {
        using var capture = OxCapture.Start();
        string id;
        using (var request = Ox.Context("request"))
        {
            id = request.Id;
            Ox.Log.Info("inside");
            using (Ox.Context(".db"))
            {
                Ox.Log.Info("deeper");
            }
        }

        Ox.Log.Info("outside");
        var events = capture.Events;
        Assert.Equal(["request.log", "request.db.log", "request.db", "request", "log"], events.Select(e => e.Type));
        Assert.All(events.Take(4), e => Assert.Equal(id, e.Id));
        Assert.NotEqual(id, events[4].Id);
    }

    [Fact]
    public void Dotted_call_site_keys_nest()
    {
        using var capture = OxCapture.Start();
        Ox.Log.Info("response_sent", "response.status", 200, "response.size", 10);
        Assert.EndsWith("""
            "body":{"event":"response_sent","response":{"status":200,"size":10}}}
            """, Assert.Single(capture.Lines));
    }

    private sealed class CountingValue
    {
        public int Formatted { get; private set; }

        public override string ToString()
        {
            Formatted++;
            return "counted";
        }
    }

    [Fact]
    public void A_call_below_the_minimum_level_formats_nothing_and_allocates_nothing()
    {
        Configure(o => o.MinimumLevel = OxLevel.Warning);
        var log = Ox.GetLogger("quiet");
        var value = new CountingValue();
        for (var i = 0; i < 100; i++)
        {
            log.Debug("warmup", "a", i, "b", 1.5, "c", "text", "d", true, "e", value);
        }

        // Rounds of 10,000 calls: a per-call allocation would show in every round, while the runtime's own one-off
        // work (tiered JIT finishing under load) can land in one round. Steady state is a round of exactly 0 bytes.
        List<long> rounds = [];
        for (var round = 0; round < 5 && !rounds.Contains(0); round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 10_000; i++)
            {
                log.Info("ignored", "a", i, "b", 1.5, "c", "text", "d", true, "e", value);
            }

            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Contains(0L, rounds);
        Assert.Equal(0, value.Formatted);
        Assert.False(log.IsEnabled(OxLevel.Info));
        Ox.Flush();
        Assert.Equal(0, Ox.Stats.Enqueued);
    }

    [Fact]
    public void An_enabled_call_allocates_nothing_on_the_calling_thread_in_steady_state()
    {
        Configure(o => o.QueueFullMode = QueueFullMode.Wait);
        var log = Ox.Log.Bind("service", "api");
        for (var i = 0; i < 1000; i++)
        {
            log.Info("request_done", "name", "bob", "count", i, "ratio", 0.5, "ok", true, "id", "abc-123");
        }

        Ox.Flush();
        // One-off runtime work (tiering, a timer's first tick) can land in any one round under load; steady state
        // means some round of 1,000 calls allocates exactly nothing.
        List<long> rounds = [];
        for (var round = 0; round < 5; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1000; i++)
            {
                log.Info("request_done", "name", "bob", "count", i, "ratio", 0.5, "ok", true, "id", "abc-123");
            }

            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Contains(0L, rounds);
        Ox.Flush();
        Assert.Equal(6000, Ox.Stats.Written);
    }

    [Fact]
    public void Trace_and_span_ids_come_from_the_current_activity()
    {
        using var capture = OxCapture.Start();
        using var activity = new Activity("op").SetIdFormat(ActivityIdFormat.W3C).Start();
        Ox.Log.Info("traced");
        using (Ox.Context("request"))
        {
        }

        Assert.All(capture.Events, e =>
        {
            Assert.Equal(activity.TraceId.ToHexString(), e.TraceId);
            Assert.Equal(activity.SpanId.ToHexString(), e.SpanId);
        });
    }

    [Fact]
    public void Processors_can_enrich_and_drop_events_and_drops_are_counted()
    {
        var sink = Configure(o => o
            .Enrich(e => e.Body.Set("region", "eu"))
            .Filter(e => !Equals(e["event"], "noisy")));
        Ox.Log.Info("useful");
        Ox.Log.Info("noisy");
        Ox.Flush();
        var e = Assert.Single(sink.Events);
        Assert.Equal(("useful", "eu"), (e["event"], e["region"]));
        Assert.Equal(1, Ox.Stats.DroppedByProcessor);
    }

    [Fact]
    public void A_throwing_processor_is_counted_and_the_event_still_goes_out()
    {
        var sink = Configure(o => o.Processors.Add(new DelegateProcessor(_ => throw new InvalidOperationException("bug"))));
        Ox.Log.Info("still_here");
        Ox.Flush();
        Assert.Single(sink.Lines);
        Assert.Equal(1, Ox.Stats.InternalErrors);
    }

    [Fact]
    public void More_fields_than_the_typed_overloads_go_through_the_list_overload()
    {
        using var capture = OxCapture.Start();
        Ox.Log.Log(OxLevel.Info, "wide", Enumerable.Range(1, 8).Select(i => new KeyValuePair<string, object?>($"f{i}", i)).ToList());
        Assert.EndsWith("""
            "body":{"event":"wide","f1":1,"f2":2,"f3":3,"f4":4,"f5":5,"f6":6,"f7":7,"f8":8}}
            """, Assert.Single(capture.Lines));
    }
}
