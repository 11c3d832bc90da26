using System.Diagnostics;
using Oxbow.Tests.Support;

namespace Oxbow.Tests;

[Collection(Support.GlobalState.Name)]
public class PipelineTests : OxbowTestBase
{
    private readonly string _directory = Directory.CreateTempSubdirectory("oxbow-pipeline-").FullName;

    public override void Dispose()
    {
        base.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void Events_reach_a_file_in_order_with_nothing_lost()
    {
        var path = Path.Combine(_directory, "app.ndjson");
        Ox.Configure(o =>
        {
            o.Sinks.Clear();
            o.QueueFullMode = QueueFullMode.Wait;
            o.WriteToFile(path, f => f.Interval = Oxbow.Sinks.RollInterval.Infinite);
        });
        for (var i = 0; i < 10_000; i++)
        {
            Ox.Log.Info("tick", "n", i);
        }

        Assert.True(Ox.Flush());
        var lines = File.ReadAllLines(path);
        Assert.Equal(10_000, lines.Length);
        Assert.Equal(Enumerable.Range(0, 10_000).Select(i => (long)i), lines.Select(l => (long)Oxbow.Codec.CanonicalJson.Parse(System.Text.Encoding.UTF8.GetBytes(l))["n"]!));
        Assert.Equal(new OxbowStats(10_000, 10_000, 0, 0, 0, 0, 0, 0), Ox.Stats);
    }

    [Fact]
    public void A_full_queue_drops_new_events_counts_them_and_never_blocks_the_caller()
    {
        var gate = new GateSink();
        Configure(o =>
        {
            o.QueueCapacityBytes = o.QueueMaxBytes = 4096;
            o.QueueFullMode = QueueFullMode.DropNewest;
            o.WriteTo(gate);
        });
        Ox.Log.Info("first");
        gate.WaitUntilBlocked();
        for (var i = 0; i < 1000; i++)
        {
            Ox.Log.Info("burst", "n", i);
        }

        var stats = Ox.Stats;
        Assert.Equal(1001, stats.Enqueued + stats.DroppedQueueFull);
        // 4 KiB holds some dozens of these calls' records (raw values, smaller than their JSON lines); the rest drop.
        Assert.InRange(stats.DroppedQueueFull, 800, 999);
        gate.Open();
        Assert.True(Ox.Flush());
        var report = Assert.Single(gate.DropReports);
        Assert.Equal(stats.Enqueued + 1, gate.Received);
        Assert.Equal(stats.Enqueued, Ox.Stats.Written);
        Assert.Equal((OxLevel.Warning, stats.DroppedQueueFull, stats.DroppedQueueFull, 0L), (report.Level, (long)report.Body["dropped"]!, (long)report.Body["queue_full"]!, (long)report.Body["oversized"]!));
        Assert.True(report.Start <= report.End);
    }

    [Fact]
    public void A_burst_of_a_million_events_with_the_default_queue_loses_nothing_even_while_the_sink_makes_no_progress()
    {
        var gate = new GateSink();
        Configure(o => o.WriteTo(gate));
        Ox.Log.Info("first");
        gate.WaitUntilBlocked();
        for (var i = 0; i < 1_000_000; i++)
        {
            Ox.Log.Info("burst", "n", i);
        }

        var stats = Ox.Stats;
        Assert.Equal((1_000_001L, 0L), (stats.Enqueued, stats.DroppedQueueFull));
        gate.Open();
        Assert.True(Ox.Flush(TimeSpan.FromMinutes(2)));
        Assert.Equal(1_000_001, gate.Received);
        Assert.Empty(gate.DropReports);
    }

    [Fact]
    public void A_waiting_queue_keeps_its_size_and_holds_the_caller_instead_of_growing()
    {
        using var queue = new Oxbow.Pipeline.EventQueue(initialCapacity: 1024, maxCapacity: 8192, maxEventBytes: 1024, QueueFullMode.Wait, TimeSpan.Zero);

        Assert.Equal((1024, 1024), (queue.Capacity, queue.Allocated));
    }

    [Fact]
    public void A_full_dropping_queue_grows_sixteen_fold_in_one_step_and_keeps_what_it_held()
    {
        using var queue = new Oxbow.Pipeline.EventQueue(initialCapacity: 1024, maxCapacity: 1024 * 1024, maxEventBytes: 1024, QueueFullMode.DropNewest, TimeSpan.Zero);
        var line = new byte[100];
        line[0] = (byte)'{';
        for (var i = 0; i < 11; i++)
        {
            Assert.True(queue.TryEnqueue(line));
        }

        // Ten lines fit in 1,024 bytes; the eleventh grows the queue once, straight to 16 KiB (doubling would give 2 KiB).
        Assert.Equal(16 * 1024, queue.Allocated);
        Assert.True(queue.TakeBatch(out var buffer, out var bytes, out var count, out _, out _));
        Assert.Equal((1100, 11, (byte)'{'), (bytes, count, buffer[1000]));
    }

    [Fact]
    public void The_queue_grows_for_a_burst_up_to_its_maximum_then_drops_and_shrinks_back_once_batches_are_small()
    {
        var clock = new ManualTimeProvider();
        using var queue = new Oxbow.Pipeline.EventQueue(initialCapacity: 1024, maxCapacity: 8192, maxEventBytes: 1024, QueueFullMode.DropNewest, TimeSpan.Zero, clock);
        var line = new byte[100];
        var accepted = 0;
        for (var i = 0; i < 100; i++)
        {
            accepted += queue.TryEnqueue(line) ? 1 : 0;
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal((81, 19L, 8192, 8192), (accepted, queue.DroppedQueueFull, queue.Allocated, queue.Capacity));
        Assert.True(queue.TakeDropReport(out var full, out var oversized, out var first));
        Assert.Equal((19L, 0L), (full, oversized));
        Assert.Equal(ManualTimeProvider.DefaultStart.AddSeconds(81), first); // the 82nd event was the first dropped
        Assert.False(queue.TakeDropReport(out _, out _, out _));

        // The burst's batch is taken; the next batches are small, and the grown buffers are let go.
        Assert.True(queue.TakeBatch(out _, out var bytes, out var count, out _, out _));
        Assert.Equal((8100, 81), (bytes, count));
        for (var round = 0; round < 2; round++)
        {
            Assert.True(queue.TryEnqueue(line));
            Assert.True(queue.TakeBatch(out _, out bytes, out count, out _, out _));
            Assert.Equal((100, 1), (bytes, count));
        }

        Assert.Equal(1024, queue.Allocated);
    }

    [Fact]
    public async Task A_full_queue_in_wait_mode_holds_the_caller_and_loses_nothing()
    {
        var gate = new GateSink();
        Configure(o =>
        {
            o.QueueCapacityBytes = o.QueueMaxBytes = 4096;
            o.QueueFullMode = QueueFullMode.Wait;
            o.WriteTo(gate);
        });
        Ox.Log.Info("first");
        gate.WaitUntilBlocked();
        var producer = Task.Run(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                Ox.Log.Info("burst", "n", i);
            }
        });
        WaitUntil(() => Ox.Stats.Enqueued > 10, "the queue filled up");
        Assert.False(producer.IsCompleted);
        gate.Open();
        await producer;
        Assert.True(Ox.Flush());
        Assert.Equal(1001, gate.Received);
        Assert.Equal(0, Ox.Stats.DroppedQueueFull);
    }

    [Fact]
    public void An_oversized_event_is_dropped_and_counted_and_the_next_one_goes_through()
    {
        var sink = Configure(o => o.MaxEventBytes = 1000);
        Ox.Log.Info("huge", "blob", new string('x', 2000));
        Ox.Log.Info("small");
        Assert.True(Ox.Flush());
        Assert.Equal("small", Assert.Single(sink.Events, e => e.Type != "oxbow.dropped")["event"]);
        Assert.Equal(1, Ox.Stats.DroppedOversized);
        var report = Assert.Single(sink.Events, e => e.Type == "oxbow.dropped");
        Assert.Equal((1L, 0L, 1L), ((long)report.Body["dropped"]!, (long)report.Body["queue_full"]!, (long)report.Body["oversized"]!));
    }

    [Fact]
    public void A_throwing_sink_is_counted_and_the_other_sinks_still_get_every_event()
    {
        var sink = Configure(o => o.Sinks.Insert(0, new ThrowingSink()));
        for (var i = 0; i < 100; i++)
        {
            Ox.Log.Info("e", "n", i);
        }

        Assert.True(Ox.Flush());
        Assert.Equal(100, sink.Lines.Count);
        Assert.Equal(sink.Batches, Ox.Stats.SinkErrors);
    }

    [Fact]
    public void Shutdown_drains_the_queue_and_returns_to_no_op()
    {
        var sink = Configure();
        for (var i = 0; i < 1000; i++)
        {
            Ox.Log.Info("e", "n", i);
        }

        Ox.Shutdown();
        Assert.Equal(1000, sink.Lines.Count);
        Assert.False(Ox.IsConfigured);
        Ox.Log.Info("after");
        Assert.Equal(1000, sink.Lines.Count);
    }

    [Fact]
    public void Reconfiguring_flushes_the_previous_configuration_first()
    {
        var first = Configure();
        Ox.Log.Info("one");
        var second = Configure();
        Ox.Log.Info("two");
        Ox.Flush();
        Assert.Equal("one", Assert.Single(first.Events)["event"]);
        Assert.Equal("two", Assert.Single(second.Events)["event"]);
    }

    [Fact]
    public async Task Process_exit_drains_the_queue_without_an_explicit_flush()
    {
        var path = Path.Combine(_directory, "exit.ndjson");
        var sample = Path.Combine(AppContext.BaseDirectory, "Oxbow.Sample.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { sample, "--emit", "100000", "--file", path })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, process.ExitCode);
        Assert.Equal("", await stderr);
        var lines = File.ReadAllLines(path);
        Assert.Equal(100_000, lines.Length);
        Assert.Contains("\"n\":99999}", lines[^1]);
    }
}
