using System.Net;
using Oxbow.Daemon.Spool;
using Oxbow.Daemon.Tests.Support;
using Oxbow.Store.Partitions;
using Oxbow.Transport;

namespace Oxbow.Daemon.Tests;

/// <summary>
/// A collector writes each batch straight into its partition files and acknowledges it once they are fsynced; these
/// are the crash cases of that, on a real daemon killed with SIGKILL.
/// </summary>
public sealed class StoreRecoveryTests
{
    private static ByteArrayContent Ndjson(byte[] events) => new(events) { Headers = { { "Content-Type", "application/x-ndjson" } } };

    /// <summary>Posts events <paramref name="from"/> up to <paramref name="to"/> and checks they were acknowledged.</summary>
    private static async Task PostAcknowledgedAsync(DaemonProcess collector, int from, int to)
    {
        using var response = await collector.Http.PostAsync("v1/events", Ndjson(StoredEvents.Events(from, to)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static List<int> Numbers(string data) => [.. StoredEvents.Values(data, "n").Select(int.Parse).Order()];

    [Fact]
    public async Task Bytes_past_the_last_acknowledged_batch_and_files_no_acknowledged_batch_reached_are_gone_after_a_kill()
    {
        using var dir = new TempDirectory();
        var data = dir.Sub("data");
        await using var collector = new DaemonProcess(data);
        await collector.StartAsync();
        for (var batch = 0; batch < 3; batch++)
        {
            await PostAcknowledgedAsync(collector, batch * 10, (batch + 1) * 10);
        }

        // Each acknowledged batch was fsynced into its file: the disk cost is counted.
        Assert.True(await collector.StatAsync("store", "fsyncs") >= 3, collector.Output);
        collector.Kill();

        // What a kill between writing a batch into its file and acknowledging it leaves: the batch in the open file,
        // and a file created for a new partition that no acknowledged batch reached, named in the intents.
        var open = StoredEvents.Files(data)[^1]; // the newest: one file, unless the hour turned while the test ran
        var acknowledged = await File.ReadAllBytesAsync(open);
        var unacknowledged = StoredEvents.Events(100, 110);
        await File.AppendAllBytesAsync(open, unacknowledged);
        var orphanRelative = "type=request/day=2026-01-01/hour=00/" + Path.GetFileName(open).Replace("-", "-9", StringComparison.Ordinal);
        var orphan = Path.Combine(data, orphanRelative);
        Directory.CreateDirectory(Path.GetDirectoryName(orphan)!);
        var orphanBytes = StoredEvents.Events(200, 201);
        await File.WriteAllBytesAsync(orphan, orphanBytes);
        await File.AppendAllTextAsync(Path.Combine(data, "_oxbow", "store-intents"), orphanRelative + "\n");

        await collector.StartAsync();
        Assert.Equal(acknowledged, await File.ReadAllBytesAsync(open));
        Assert.False(File.Exists(orphan), collector.Output);
        Assert.Equal(Enumerable.Range(0, 30), Numbers(data));
        Assert.Equal(unacknowledged.Length + orphanBytes.Length, await collector.StatAsync("store", "recovery_discarded_bytes"));
        Assert.Equal(1, await collector.StatAsync("store", "recovery_discarded_files"));
        Assert.Equal(0, await collector.StatAsync("store", "recovery_missing_bytes"));
        Assert.True((await collector.StatsAsync()).GetProperty("store").GetProperty("recovery_seconds").GetDouble() >= 0);
        await collector.WaitForOutputAsync("store_unacknowledged_data_discarded");

        await PostAcknowledgedAsync(collector, 30, 40);

        Assert.Equal(0, await collector.TerminateAsync());
        Assert.Equal(Enumerable.Range(0, 40), Numbers(data));
    }

    [Fact]
    public async Task A_file_found_shorter_than_acknowledged_is_cut_to_its_last_whole_line_counted_and_written_on()
    {
        using var dir = new TempDirectory();
        var data = dir.Sub("data");
        await using var collector = new DaemonProcess(data);
        await collector.StartAsync();
        await PostAcknowledgedAsync(collector, 0, 10);

        collector.Kill();

        // Damage from outside Oxbow: the last 5 bytes of an acknowledged event are gone.
        var file = StoredEvents.Files(data)[^1]; // the newest: one file, unless the hour turned while the test ran
        var acknowledged = await File.ReadAllBytesAsync(file);
        File.WriteAllBytes(file, acknowledged[..^5]);
        var lastWholeLine = Array.LastIndexOf(acknowledged, (byte)'\n', acknowledged.Length - 2) + 1;

        await collector.StartAsync();
        Assert.Equal(acknowledged[..lastWholeLine], await File.ReadAllBytesAsync(file));
        Assert.Equal(acknowledged.Length - lastWholeLine, await collector.StatAsync("store", "recovery_missing_bytes"));
        await collector.WaitForOutputAsync("store_file_shorter_than_acknowledged");

        await PostAcknowledgedAsync(collector, 10, 20);

        Assert.Equal(0, await collector.TerminateAsync());
        Assert.Equal(Enumerable.Range(0, 20).Where(n => n != 9), Numbers(data));
    }

    [Fact]
    public async Task An_acknowledged_batch_damaged_on_disk_fails_its_checksum_at_start_up_and_is_kept_and_counted()
    {
        using var dir = new TempDirectory();
        var data = dir.Sub("data");
        var spoolOptions = new SpoolOptions { Directory = Path.Combine(data, "_oxbow", "spool") };

        // In process and without the store's checkpoints, so the spool's records are all that vouch for the batches.
        // Opening takes over what the records say, so each session checks the batches of the one before.
        Assert.Equal(0, (await SessionAsync(0, 20)).RecoveryCorruptBatches);
        Assert.Equal(0, (await SessionAsync(20, 40)).RecoveryCorruptBatches);

        // One byte changes inside the last batch's padding: still valid JSON, so only the checksum can tell.
        var file = StoredEvents.Files(data)[^1];
        var damaged = await File.ReadAllBytesAsync(file);
        damaged[^20] = (byte)'y';
        await File.WriteAllBytesAsync(file, damaged);
        var stats = await SessionAsync(40, 40);
        Assert.Equal(1, stats.RecoveryCorruptBatches);
        Assert.Equal(0, stats.RecoveryMissingBytes);
        Assert.Equal(damaged, await File.ReadAllBytesAsync(file));
        Assert.Equal(Enumerable.Range(0, 40), Numbers(data));

        async Task<StoreStats> SessionAsync(int from, int to)
        {
            var store = new PartitionStore(new StorageOptions { DataDirectory = data });
            using var spool = SpoolLog.Open(spoolOptions, store);
            var recovered = store.Stats;
            for (var n = from; n < to; n += 10)
            {
                Assert.Equal(AppendResult.Durable, await spool.AppendAsync(BatchId.New(), 10, StoredEvents.Events(n, n + 10)));
            }

            return recovered;
        }
    }

    [Fact]
    public async Task Batches_in_a_spool_from_before_the_store_took_them_directly_are_stored_once()
    {
        using var dir = new TempDirectory();
        var data = dir.Sub("data");
        var spoolDirectory = Path.Combine(data, "_oxbow", "spool");
        using (var spool = SpoolLog.Open(new SpoolOptions { Directory = spoolDirectory }))
        {
            Assert.Equal(AppendResult.Durable, await spool.AppendAsync(BatchId.New(), 10, StoredEvents.Events(0, 10)));
            Assert.Equal(AppendResult.Durable, await spool.AppendAsync(BatchId.New(), 10, StoredEvents.Events(10, 20)));
        }

        Assert.All(Directory.GetFiles(spoolDirectory, "*.seg"), f => Assert.Equal("OXSPOOL1"u8.ToArray(), File.ReadAllBytes(f)[..8]));

        await using var collector = new DaemonProcess(data);
        await collector.StartAsync();
        Assert.Equal(Enumerable.Range(0, 20), Numbers(data));
        Assert.Equal(20, await collector.StatAsync("store", "events"));
        collector.Kill();
        await collector.StartAsync();
        Assert.Equal(Enumerable.Range(0, 20), Numbers(data));
        Assert.All(Directory.GetFiles(spoolDirectory, "*.seg"), f => Assert.Equal("OXSPOOL2"u8.ToArray(), File.ReadAllBytes(f)[..8]));
    }

    [Fact]
    public async Task Store_files_removed_while_a_sender_runs_are_recreated_whole_before_the_next_acknowledgement()
    {
        using var dir = new TempDirectory();
        var data = dir.Sub("data");
        await using var collector = new DaemonProcess(data);
        await collector.StartAsync();
        // The sender keeps its connection and goes on between the removals, as a live service would.
        await PostAcknowledgedAsync(collector, 0, 100);
        foreach (var file in StoredEvents.Files(data))
        {
            File.Delete(file);
        }

        await PostAcknowledgedAsync(collector, 100, 300);
        Directory.Delete(Path.Combine(data, "type=request"), recursive: true);
        await PostAcknowledgedAsync(collector, 300, 600);

        // Every acknowledged event is on disk where the store looks, including those the deletions took.
        Assert.Equal(Enumerable.Range(0, 600), Numbers(data));
        Assert.True(await collector.StatAsync("store", "files_recreated") >= 2, collector.Output);
        await collector.WaitForOutputAsync("store_file_recreated");
        Assert.Equal(0, await collector.TerminateAsync());
        Assert.Equal(Enumerable.Range(0, 600), Numbers(data));
    }
}
