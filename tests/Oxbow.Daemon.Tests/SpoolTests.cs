using Oxbow.Daemon.Spool;
using Oxbow.Daemon.Tests.Support;
using Oxbow.Store.Partitions;
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

    [Fact]
    public async Task The_callers_memory_is_its_own_again_once_the_append_completes()
    {
        using var dir = new TempDirectory();
        using var spool = Open(dir.Path);
        var buffer = "{\"a\":1}\n"u8.ToArray();
        Assert.Equal(AppendResult.Durable, await spool.AppendAsync(BatchId.New(), 1, buffer));
        "{\"b\":2}\n"u8.CopyTo(buffer); // a pooled buffer, reused for the next batch

        Assert.Equal("{\"a\":1}\n", System.Text.Encoding.UTF8.GetString(Assert.Single(ReadAll(spool)).Data.Span));
    }

    [Fact]
    public async Task With_a_placement_the_data_goes_there_and_a_failed_flush_refuses_the_group_and_rolls_it_back()
    {
        using var dir = new TempDirectory();
        var placement = new RecordingPlacement();
        using (var spool = SpoolLog.Open(new SpoolOptions { Directory = dir.Path }, placement))
        {
            Assert.Equal(AppendResult.Durable, await spool.AppendAsync(BatchId.New(), 1, "{\"a\":1}\n"u8.ToArray()));
            Assert.Equal(["{\"a\":1}\n"], placement.Committed);
            Assert.Equal(0, spool.Stats.PendingEvents);

            placement.FailNextFlush = true;
            var retried = BatchId.New();
            Assert.Equal(AppendResult.Failed, await spool.AppendAsync(retried, 1, "{\"a\":2}\n"u8.ToArray()));
            Assert.Equal(1, placement.Rollbacks);
            Assert.Equal(1, spool.Stats.FailedAppends);

            // The refused batch's id was forgotten, so its retry is stored rather than called a duplicate.
            Assert.Equal(AppendResult.Durable, await spool.AppendAsync(retried, 1, "{\"a\":2}\n"u8.ToArray()));
            Assert.Equal(["{\"a\":1}\n", "{\"a\":2}\n"], placement.Committed);
        }

        // Reopened, the placement gets the records since the ledger's position, in order, as its own records.
        var reopened = new RecordingPlacement();
        using (SpoolLog.Open(new SpoolOptions { Directory = dir.Path }, reopened))
        {
            Assert.All(reopened.Recovered, batch => Assert.True(batch.Placed));
            Assert.Equal(["{\"a\":1}\n", "{\"a\":2}\n"], reopened.Recovered.Select(b => System.Text.Encoding.UTF8.GetString(b.Data.Span)));
        }

        Assert.All(Directory.GetFiles(dir.Path, "*.seg"), f => Assert.Equal("OXSPOOL2"u8.ToArray(), File.ReadAllBytes(f)[..8]));
    }

    [Fact]
    public async Task With_a_placement_a_batch_counts_as_stored_only_with_its_own_record_whatever_fails_around_a_segment_roll()
    {
        // Small segments roll every dozen records; a failure is injected at every operation in turn, so one strikes
        // each step of a roll. Whatever fails, the placement commits exactly the batches whose senders heard "durable".
        // (It found a roll in the middle of a group committing the batch just placed before its record was written:
        // when the record's write or the roll then failed, the sender was refused and its batch stayed stored.)
        for (var failAt = 1; failAt <= 120; failAt++)
        {
            using var dir = new TempDirectory();
            var files = new CrashingFileSystem(new Random(failAt));
            var placement = new RecordingPlacement();
            using var spool = SpoolLog.OpenStepwise(new SpoolOptions { Directory = dir.Path, SegmentBytes = 512, SegmentFloor = 512 }, files.Mount(), placement);
            files.FailAfter(failAt, 5);
            List<string> acknowledged = [];
            for (var group = 0; group < 15; group++)
            {
                // Three appends per group: a roll can fall between batches of one group.
                var appends = Enumerable.Range(group * 3, 3).Select(i => $"{{\"n\":{i}}}\n")
                    .Select(data => (data, spool.AppendAsync(BatchId.New(), 1, System.Text.Encoding.UTF8.GetBytes(data)))).ToList();
                spool.WriteQueued();
                foreach (var (data, append) in appends)
                {
                    if (await append == AppendResult.Durable)
                    {
                        acknowledged.Add(data);
                    }
                }
            }

            Assert.True(acknowledged.Count >= 42, $"failure at {failAt}: only {acknowledged.Count} acknowledged");
            Assert.Equal(acknowledged, placement.Committed);
        }
    }

    [Fact]
    public void A_placement_session_commits_only_what_it_flushed_and_ends_once()
    {
        var placement = new RecordingPlacement();
        var session = new PlacementSession(placement);
        session.Place("a"u8.ToArray());
        session.Flush().Commit();
        Assert.Equal(["a"], placement.Committed);
        Assert.Throws<InvalidOperationException>(() => session.Place("b"u8.ToArray()));
        Assert.Throws<InvalidOperationException>(() => session.Rollback());
        Assert.Throws<InvalidOperationException>(() => default(FlushedPlacement).Commit());

        var rolledBack = new PlacementSession(placement);
        rolledBack.Place("c"u8.ToArray());
        var flushed = rolledBack.Flush();
        Assert.Throws<InvalidOperationException>(() => rolledBack.Place("d"u8.ToArray()));
        rolledBack.Rollback();
        Assert.Throws<InvalidOperationException>(() => flushed.Commit());
        Assert.Equal(["a"], placement.Committed);
    }

    [Fact]
    public async Task A_collectors_spool_opened_by_an_agent_skips_its_records_instead_of_forwarding_them()
    {
        using var dir = new TempDirectory();
        using (var spool = SpoolLog.Open(new SpoolOptions { Directory = dir.Path }, new RecordingPlacement()))
        {
            Assert.Equal(AppendResult.Durable, await spool.AppendAsync(BatchId.New(), 1, "{\"a\":1}\n"u8.ToArray()));
            // Nothing is committed past it: the record is still in the spool.
        }

        using var agent = Open(dir.Path);
        Assert.Equal(1, agent.SkippedRecords);
        Assert.Empty(ReadAll(agent));
    }

    /// <summary>A placement that keeps what it is given in memory: its record is the data itself.</summary>
    private sealed class RecordingPlacement : IBatchPlacement
    {
        private readonly List<string> _placed = [];

        public List<string> Committed { get; } = [];

        public List<RecoveredBatch> Recovered { get; } = [];

        public bool FailNextFlush { get; set; }

        public int Rollbacks { get; private set; }

        public void Recover(System.Text.Json.JsonElement? state, IReadOnlyList<RecoveredBatch> batches) => Recovered.AddRange(batches);

        public ReadOnlyMemory<byte> Place(ReadOnlyMemory<byte> data)
        {
            _placed.Add(System.Text.Encoding.UTF8.GetString(data.Span));
            return data.ToArray();
        }

        public void Flush()
        {
            if (FailNextFlush)
            {
                FailNextFlush = false;
                throw new IOException("disk on fire");
            }
        }

        void IBatchPlacement.Committed()
        {
            Committed.AddRange(_placed);
            _placed.Clear();
        }

        public void Rollback()
        {
            _placed.Clear();
            Rollbacks++;
        }

        public void WriteState(System.Text.Json.Utf8JsonWriter json) => json.WriteNullValue();
    }
}
