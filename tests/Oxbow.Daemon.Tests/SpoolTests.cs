using Oxbow.Daemon.Spool;
using Oxbow.Daemon.Tests.Support;
using Oxbow.Transport;

namespace Oxbow.Daemon.Tests;

public sealed class SpoolTests
{
    private static SpoolLog Open(string directory, long maxBytes = 1L << 30, SpoolFullPolicy policy = SpoolFullPolicy.Backpressure) =>
        SpoolLog.Open(new SpoolOptions { Directory = directory, MaxBytes = maxBytes, FullPolicy = policy, SegmentBytes = 1 << 20 });

    private static List<SpoolRecord> ReadAll(SpoolLog spool)
    {
        var position = spool.CommittedPosition;
        List<SpoolRecord> records = [];
        while (spool.TryRead(ref position) is { } record)
        {
            records.Add(record);
        }

        return records;
    }

    [Fact]
    public async Task A_torn_tail_is_skipped_and_counted_and_everything_before_it_is_kept()
    {
        using var dir = new TempDirectory();
        using (var spool = Open(dir.Path))
        {
            Assert.Equal(AppendResult.Durable, await spool.AppendAsync(BatchId.New(), 1, "{\"a\":1}\n"u8.ToArray()));
            Assert.Equal(AppendResult.Durable, await spool.AppendAsync(BatchId.New(), 1, "{\"a\":2}\n"u8.ToArray()));
        }

        var segment = Directory.GetFiles(dir.Path, "*.seg").Order().Last(f => new FileInfo(f).Length > 16);
        var bytes = await File.ReadAllBytesAsync(segment);
        await File.WriteAllBytesAsync(segment, bytes[..^5]); // killed in the middle of the second record

        using var reopened = Open(dir.Path);
        Assert.Equal(1, reopened.SkippedRecords);
        var records = ReadAll(reopened);
        Assert.Equal("{\"a\":1}\n"u8.ToArray(), Assert.Single(records).Data.ToArray());
    }

    [Fact]
    public async Task Records_appended_after_a_restart_that_found_everything_done_are_all_read()
    {
        // Regression: recovery deleted the wholly-done last segment and the new one reused its number, so the
        // committed offset pointed into the new segment and the consumer skipped its records.
        using var dir = new TempDirectory();
        using (var spool = Open(dir.Path))
        {
            for (var i = 0; i < 3; i++)
            {
                await spool.AppendAsync(BatchId.New(), 1, "{\"a\":1}\n"u8.ToArray());
            }

            var read = ReadAll(spool);
            spool.Commit(read[^1].Next, read.Count, read.Count);
        }

        using var reopened = Open(dir.Path);
        for (var i = 0; i < 5; i++)
        {
            await reopened.AppendAsync(BatchId.New(), 1, System.Text.Encoding.UTF8.GetBytes($"{{\"b\":{i}}}\n"));
        }

        Assert.Equal(5, reopened.Stats.PendingEvents);
        var records = ReadAll(reopened);
        Assert.Equal(["{\"b\":0}\n", "{\"b\":1}\n", "{\"b\":2}\n", "{\"b\":3}\n", "{\"b\":4}\n"], records.Select(r => System.Text.Encoding.UTF8.GetString(r.Data.Span)));
        Assert.Equal(0, reopened.SkippedRecords);
    }

    [Fact]
    public async Task A_corrupt_record_is_skipped_by_its_checksum_not_delivered()
    {
        using var dir = new TempDirectory();
        using (var spool = Open(dir.Path))
        {
            await spool.AppendAsync(BatchId.New(), 1, "{\"a\":1}\n"u8.ToArray());
        }

        var segment = Directory.GetFiles(dir.Path, "*.seg").Single(f => new FileInfo(f).Length > 16);
        var bytes = await File.ReadAllBytesAsync(segment);
        bytes[^3] ^= 0x20;
        await File.WriteAllBytesAsync(segment, bytes);

        using var reopened = Open(dir.Path);
        Assert.Equal(1, reopened.SkippedRecords);
        Assert.Empty(ReadAll(reopened));
    }

    [Fact]
    public async Task A_batch_id_seen_before_is_a_duplicate_even_after_restart_and_after_its_segment_is_deleted()
    {
        using var dir = new TempDirectory();
        var id = BatchId.New();
        using (var spool = Open(dir.Path))
        {
            Assert.Equal(AppendResult.Durable, await spool.AppendAsync(id, 1, "{}\n"u8.ToArray()));
            Assert.Equal(AppendResult.Duplicate, await spool.AppendAsync(id, 1, "{}\n"u8.ToArray()));
        }

        using (var spool = Open(dir.Path))
        {
            Assert.Equal(AppendResult.Duplicate, await spool.AppendAsync(id, 1, "{}\n"u8.ToArray()));
            var record = Assert.Single(ReadAll(spool));
            spool.Commit(record.Next, 1, 1);
            Assert.Equal(0, spool.Stats.PendingEvents);
        }

        using (var spool = Open(dir.Path))
        {
            Assert.Empty(ReadAll(spool));
            Assert.Equal(AppendResult.Duplicate, await spool.AppendAsync(id, 1, "{}\n"u8.ToArray()));
        }
    }

    [Fact]
    public async Task Backpressure_refuses_when_full_and_drop_oldest_drops_and_counts()
    {
        using var dir = new TempDirectory();
        var big = new byte[300_000];
        using (var spool = Open(dir.Sub("bp"), maxBytes: 4 << 20))
        {
            var results = new List<AppendResult>();
            for (var i = 0; i < 20; i++)
            {
                results.Add(await spool.AppendAsync(BatchId.New(), 10, big));
            }

            Assert.Contains(AppendResult.Full, results);
            Assert.True(spool.Stats.Bytes <= 4 << 20);
            Assert.Equal(results.Count(r => r == AppendResult.Full), spool.Stats.FullRejects);
        }

        using (var spool = Open(dir.Sub("drop"), maxBytes: 4 << 20, policy: SpoolFullPolicy.DropOldest))
        {
            for (var i = 0; i < 20; i++)
            {
                Assert.Equal(AppendResult.Durable, await spool.AppendAsync(BatchId.New(), 10, big));
            }

            var stats = spool.Stats;
            Assert.True(stats.Bytes <= 4 << 20);
            Assert.True(stats.DroppedEvents > 0);
            Assert.Equal(200, stats.DroppedEvents + stats.PendingEvents);
            Assert.Equal(stats.PendingEvents, ReadAll(spool).Sum(r => r.EventCount));
        }
    }

    [Fact]
    public async Task Sealed_segments_are_deleted_once_every_record_in_them_is_committed()
    {
        using var dir = new TempDirectory();
        using var spool = Open(dir.Path);
        for (var i = 0; i < 8; i++)
        {
            await spool.AppendAsync(BatchId.New(), 1, new byte[400_000]);
        }

        Assert.True(Directory.GetFiles(dir.Path, "*.seg").Length >= 3);
        var records = ReadAll(spool);
        spool.Commit(records[^1].Next, records.Count, records.Count);
        Assert.Single(Directory.GetFiles(dir.Path, "*.seg"));
    }
}
