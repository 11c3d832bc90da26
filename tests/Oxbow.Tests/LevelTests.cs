using Oxbow.Tests.Support;

namespace Oxbow.Tests;

/// <summary>Category and per-sink levels, and changing them while running, on isolated pipelines (no global state).</summary>
public sealed class LevelTests
{
    private static OxbowOptions Options(params (Oxbow.Sinks.IEventSink Sink, OxLevel Level)[] sinks)
    {
        var options = new OxbowOptions { App = "test", Host = "h", MinimumLevel = OxLevel.Info, SinkFailureOutput = null };
        foreach (var (sink, level) in sinks)
        {
            options.WriteTo(sink, level);
        }

        return options;
    }

    private static string[] Events(MemorySink sink) => sink.Events.Select(e => (string)e.Body["event"]!).ToArray();

    [Fact]
    public void A_category_override_beats_the_default_and_the_most_specific_prefix_wins()
    {
        var sink = new MemorySink();
        var options = Options((sink, OxLevel.Trace));
        options.Levels["Microsoft.*"] = OxLevel.Warning;
        options.Levels["Microsoft.AspNetCore.Hosting"] = OxLevel.Debug;
        using var pipeline = new OxbowPipeline(options);

        pipeline.GetLogger("Microsoft.AspNetCore.Routing").Info("routing_info");
        pipeline.GetLogger("Microsoft.AspNetCore.Routing").Warning("routing_warning");
        pipeline.GetLogger("Microsoft.AspNetCore.Hosting").Debug("hosting_debug");
        pipeline.GetLogger("MicrosoftX").Info("not_under_microsoft");
        pipeline.GetLogger("Shop").Debug("shop_debug");
        pipeline.Log.Info("root_info");
        Assert.True(pipeline.Flush());

        Assert.Equal(["routing_warning", "hosting_debug", "not_under_microsoft", "root_info"], Events(sink));
    }

    [Fact]
    public void Each_sink_gets_only_the_events_at_or_above_its_own_level()
    {
        var everything = new MemorySink();
        var errors = new MemorySink();
        var options = Options((everything, OxLevel.Trace), (errors, OxLevel.Error));
        options.MinimumLevel = OxLevel.Debug;
        using var pipeline = new OxbowPipeline(options);

        pipeline.Log.Debug("d");
        pipeline.Log.Info("i");
        pipeline.Log.Error("e");
        pipeline.Log.Critical("c");
        Assert.True(pipeline.Flush());

        Assert.Equal(["d", "i", "e", "c"], Events(everything));
        Assert.Equal(["e", "c"], Events(errors));
    }

    [Fact]
    public void When_every_sink_is_stricter_than_the_default_the_call_is_not_even_built()
    {
        var sink = new MemorySink();
        using var pipeline = new OxbowPipeline(Options((sink, OxLevel.Warning)));

        Assert.False(pipeline.Log.IsEnabled(OxLevel.Info));
        Assert.True(pipeline.Log.IsEnabled(OxLevel.Warning));
    }

    [Fact]
    public void Levels_change_while_running_without_rebuilding_sinks_or_losing_queued_events()
    {
        var sink = new MemorySink();
        var options = Options((sink, OxLevel.Trace));
        using var pipeline = new OxbowPipeline(options);
        var payments = pipeline.GetLogger("Shop.Payments");

        payments.Debug("before_hidden");
        payments.Info("before_shown");

        var changed = Options((new MemorySink(), OxLevel.Trace));
        changed.Levels["Shop.Payments"] = OxLevel.Debug;
        Assert.True(pipeline.UpdateLevels(changed));
        payments.Debug("after_shown");
        pipeline.GetLogger("Shop.Orders").Debug("other_category_hidden");

        var stricter = Options((new MemorySink(), OxLevel.Error));
        Assert.True(pipeline.UpdateLevels(stricter));
        payments.Warning("sink_now_error_only");
        payments.Error("error_shown");
        Assert.True(pipeline.Flush());

        Assert.Equal(["before_shown", "after_shown", "error_shown"], Events(sink));
    }

    [Fact]
    public void A_level_update_with_a_different_sink_list_applies_the_levels_but_says_sinks_need_a_restart()
    {
        var sink = new MemorySink();
        using var pipeline = new OxbowPipeline(Options((sink, OxLevel.Trace)));
        var changed = Options();
        changed.MinimumLevel = OxLevel.Debug;

        Assert.False(pipeline.UpdateLevels(changed));
        pipeline.Log.Debug("debug_now_on");
        Assert.True(pipeline.Flush());
        Assert.Equal(["debug_now_on"], Events(sink));
    }

    [Fact]
    public void An_isolated_pipeline_leaves_the_global_one_alone_and_is_silent_after_disposal()
    {
        var sink = new MemorySink();
        var pipeline = new OxbowPipeline(Options((sink, OxLevel.Trace)));
        var log = pipeline.GetLogger("x");
        log.Info("while_open");
        Assert.False(pipeline.IsGlobal);
        pipeline.Dispose();
        log.Info("after_dispose");

        Assert.Equal(["while_open"], Events(sink));
        Assert.False(log.IsEnabled(OxLevel.Critical));
        Assert.Equal(1, pipeline.Stats.Written);
    }

    [Fact]
    public void The_writer_and_network_loops_do_not_inherit_the_configuring_callers_async_locals()
    {
        var probe = new AsyncLocal<string?>();
        probe.Value = "caller";
        var sink = new ProbeSink(probe);
        using var pipeline = new OxbowPipeline(Options((sink, OxLevel.Trace)));
        pipeline.Log.Info("e");
        Assert.True(pipeline.Flush());

        Assert.Equal([null], sink.Seen);
    }

    [Fact]
    public void A_network_sink_built_from_the_environment_and_then_cleared_starts_nothing()
    {
        var options = OxbowOptions.FromEnvironment(name => name == "OXBOW_ENDPOINTS" ? "127.0.0.1:9" : null);
        var network = Assert.IsType<Oxbow.Sinks.NetworkSink>(Assert.Single(options.Sinks));
        options.Sinks.Clear();

        // Never started: no loop, no connection attempt, nothing to dispose.
        Assert.Equal(0, network.Stats.Upstream.Connects);
        Assert.Null(network.Stats.Upstream.LastError);
        Assert.Null(typeof(Oxbow.Sinks.NetworkSink).GetField("_loop", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(network));
    }

    private sealed class ProbeSink(AsyncLocal<string?> probe) : Oxbow.Sinks.IEventSink
    {
        public List<string?> Seen { get; } = [];

        public void Emit(in Oxbow.Sinks.EventBatch batch) => Seen.Add(probe.Value);
    }
}
