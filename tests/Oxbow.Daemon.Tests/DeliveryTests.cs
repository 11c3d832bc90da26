using System.Text.Json;
using Oxbow.Daemon.Tests.Support;
using Oxbow.Pipeline;
using Oxbow.Sinks;
using Oxbow.Transport;

namespace Oxbow.Daemon.Tests;

public sealed class DeliveryTests
{
    private static void AssertEachOnce(string data, int count)
    {
        var lines = StoredEvents.Lines(data);
        var numbers = lines.Select(line =>
        {
            using var document = JsonDocument.Parse(line);
            return document.RootElement.GetProperty("body").GetProperty("n").GetInt32();
        }).Order().ToList();
        Assert.Equal(Enumerable.Range(0, count), numbers);
    }

    [Fact]
    public async Task Events_sent_while_the_collector_is_down_survive_an_agent_restart_and_are_stored_once_with_their_ids()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("collector"));
        await using var agent = new DaemonProcess(dir.Sub("agent"), "--forward", collector.Ingest);
        await agent.StartAsync();

        // The app: Oxbow's network sink, 10,000 events in batches, into the agent while the collector is down.
        var sent = StoredEvents.Events(0, 10_000);
        var ids = new HashSet<string>();
        foreach (var line in new EventBatch(sent, 10_000))
        {
            using var document = JsonDocument.Parse(line.ToArray());
            ids.Add(document.RootElement.GetProperty("id").GetString()!);
        }

        using (var sink = new NetworkSink(new NetworkSinkOptions { Endpoints = [agent.Ingest] }))
        {
            for (var offset = 0; offset < 10; offset++)
            {
                sink.Emit(new EventBatch(SliceLines(sent, offset * 1000, 1000), 1000));
            }

            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (sink.Stats.Acknowledged < 10_000 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }

            Assert.Equal(10_000, sink.Stats.Acknowledged);
        }

        Assert.Equal(10_000, await agent.StatAsync("spool", "pending_events"));
        agent.Kill();
        await agent.StartAsync();
        Assert.Equal(10_000, await agent.StatAsync("spool", "pending_events"));

        await collector.StartAsync();
        await agent.WaitForStatAsync(0, "spool", "pending_events");
        await collector.WaitForStatAsync(0, "spool", "pending_events");
        AssertEachOnce(collector.DataDirectory, 10_000);
        var storedIds = StoredEvents.Lines(collector.DataDirectory).Select(line =>
        {
            using var document = JsonDocument.Parse(line);
            return document.RootElement.GetProperty("id").GetString()!;
        }).ToHashSet();
        Assert.Equal(ids.Order(), storedIds.Order());
    }

    [Fact]
    public async Task Every_acknowledged_event_is_stored_once_after_the_collector_is_killed_mid_stream()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("collector"));
        await collector.StartAsync();
        await using var sender = new BatchSender(new BatchSenderOptions { Endpoints = [collector.Ingest], MaxBackoff = TimeSpan.FromMilliseconds(200) });

        var all = StoredEvents.Events(0, 100_000);
        var tasks = new List<Task<SendOutcome>>();
        for (var batch = 0; batch < 100; batch++)
        {
            tasks.Add(sender.SendAsync(new OutgoingBatch(BatchId.New(), 1000, SliceLines(all, batch * 1000, 1000))));
            if (batch is 30 or 65)
            {
                // Wait until some batches are acknowledged, then SIGKILL with more in flight, and start again on the
                // same data: the second kill finds a spool and a store that already went through one recovery.
                var acknowledged = tasks[batch - 25];
                await Task.WhenAny(acknowledged, Task.Delay(TimeSpan.FromSeconds(60)));
                Assert.True(acknowledged.IsCompletedSuccessfully);
                collector.Kill();
                await collector.StartAsync();
            }
        }

        var outcomes = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(120));
        Assert.All(outcomes, o => Assert.True(o.Acknowledged));
        await collector.WaitForStatAsync(0, "spool", "pending_events");
        AssertEachOnce(collector.DataDirectory, 100_000);
    }

    [Fact]
    public async Task A_network_sink_drops_and_counts_beyond_its_buffer_while_the_upstream_is_down_and_flushes_the_rest_on_dispose()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("collector"));
        var sent = StoredEvents.Events(0, 10_000);
        var first = SliceLines(sent, 0, 1000);
        var options = new NetworkSinkOptions
        {
            Endpoints = [collector.Ingest],
            MinBackoff = TimeSpan.FromMilliseconds(20),
            MaxBackoff = TimeSpan.FromMilliseconds(100),
            BufferCapacityBytes = first.Length * 5 / 2, // room for two batches of 1,000, not three
            FullMode = QueueFullMode.DropNewest,
            ShutdownTimeout = TimeSpan.FromSeconds(60),
        };
        var sink = new NetworkSink(options);
        for (var offset = 0; offset < 10; offset++)
        {
            sink.Emit(new EventBatch(SliceLines(sent, offset * 1000, 1000), 1000));
        }

        Assert.Equal(8000, sink.Stats.Dropped);
        Assert.Equal(2000, sink.Stats.PendingEvents);
        Assert.Equal(0, sink.Stats.Acknowledged);

        await collector.StartAsync();
        sink.Dispose(); // waits for the two queued batches to be acknowledged
        Assert.Equal(2000, sink.Stats.Acknowledged);
        Assert.Equal(0, sink.Stats.PendingEvents);
        await collector.WaitForStatAsync(0, "spool", "pending_events");
        AssertEachOnce(collector.DataDirectory, 2000);
        Assert.Equal(Enumerable.Range(0, 2000), StoredEvents.Values(collector.DataDirectory, "n").Select(int.Parse).Order());
    }

    [Fact]
    public async Task An_agent_fails_over_to_the_second_collector_and_can_be_rerouted_live()
    {
        using var dir = new TempDirectory();
        await using var down = new DaemonProcess(dir.Sub("down"));
        await using var second = new DaemonProcess(dir.Sub("second"));
        await using var third = new DaemonProcess(dir.Sub("third"));
        await second.StartAsync();
        await third.StartAsync();
        await using var agent = new DaemonProcess(dir.Sub("agent"), "--forward", $"{down.Ingest},{second.Ingest}");
        await agent.StartAsync();
        await using var app = new BatchSender(new BatchSenderOptions { Endpoints = [agent.Ingest] });

        Assert.True((await app.SendAsync(new OutgoingBatch(BatchId.New(), 500, StoredEvents.Events(0, 500)))).Acknowledged);
        await second.WaitForStatAsync(500, "store", "events");
        var stats = await agent.StatsAsync();
        Assert.Equal(second.Ingest, stats.GetProperty("upstream").GetProperty("connected").GetString());
        Assert.Equal(1, stats.GetProperty("upstream").GetProperty("failovers").GetInt64());

        var ctl = new System.Text.StringBuilder();
        using (var process = DaemonProcess.Start([DaemonProcess.CliDll, "ctl", "reroute", third.Ingest, "--control", $"127.0.0.1:{agent.ControlPort}"], ctl))
        {
            await process.WaitForExitAsync();
            Assert.Equal(0, process.ExitCode);
        }

        Assert.True((await app.SendAsync(new OutgoingBatch(BatchId.New(), 200, StoredEvents.Events(500, 700)))).Acknowledged);
        await third.WaitForStatAsync(200, "store", "events");
        Assert.Equal(500, await second.StatAsync("store", "events"));
    }

    [Fact]
    public async Task A_full_spool_refuses_with_busy_and_counts_it_until_delivery_frees_space()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("collector"));
        await using var agent = new DaemonProcess(dir.Sub("agent"), "--forward", collector.Ingest, "--spool-max-bytes", "4194304");
        await agent.StartAsync();
        await using var app = new BatchSender(new BatchSenderOptions { Endpoints = [agent.Ingest], MinBackoff = TimeSpan.FromMilliseconds(50) });

        var tasks = Enumerable.Range(0, 20).Select(i => app.SendAsync(new OutgoingBatch(BatchId.New(), 1000, StoredEvents.Events(i * 1000, (i + 1) * 1000)))).ToList();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await agent.StatAsync("spool", "full_rejects") == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.True(await agent.StatAsync("spool", "full_rejects") > 0);
        Assert.True(await agent.StatAsync("spool", "bytes") <= 4194304);
        Assert.Contains(tasks, t => !t.IsCompleted);

        // HTTP ingest meets the same full spool: 429 with Retry-After, counted as busy.
        var busyBefore = (await agent.StatsAsync()).GetProperty("rejects").GetProperty("busy").GetInt64();
        using (var refused = await agent.Http.PostAsync("v1/events", new ByteArrayContent(StoredEvents.Events(100_000, 102_000, "http"))))
        {
            Assert.Equal(System.Net.HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Equal("1", refused.Headers.RetryAfter?.ToString());
            Assert.Contains("the spool is full; retry later", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.True((await agent.StatsAsync()).GetProperty("rejects").GetProperty("busy").GetInt64() > busyBefore);

        await collector.StartAsync();
        var outcomes = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(120));
        Assert.All(outcomes, o => Assert.True(o.Acknowledged));
        await agent.WaitForStatAsync(0, "spool", "pending_events");
        await collector.WaitForStatAsync(0, "spool", "pending_events");
        AssertEachOnce(collector.DataDirectory, 20_000);
    }

    internal static byte[] SliceLines(byte[] ndjson, int skip, int take)
    {
        var start = 0;
        for (var i = 0; i < skip; i++)
        {
            start = Array.IndexOf(ndjson, (byte)'\n', start) + 1;
        }

        var end = start;
        for (var i = 0; i < take; i++)
        {
            end = Array.IndexOf(ndjson, (byte)'\n', end) + 1;
        }

        return ndjson[start..end];
    }
}
