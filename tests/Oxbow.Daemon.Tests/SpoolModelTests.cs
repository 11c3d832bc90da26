using System.Globalization;
using System.Text;
using Oxbow.Daemon.Spool;
using Oxbow.Daemon.Tests.Support;
using Oxbow.Transport;

namespace Oxbow.Daemon.Tests;

/// <summary>
/// The spool against a model of what it promises, over a file system that crashes or fails at chosen operations.
/// Each schedule is random appends from several senders (retrying what was not acknowledged), reads and commits,
/// failures (ENOSPC, EIO), crashes at any operation (recovery included) and restarts; after every restart and at the
/// end the invariants are checked. A failing schedule names its seed: OXBOW_MODEL_SEED=N replays it alone.
/// OXBOW_MODEL_SCHEDULES sets how many run (default 10,000, about ten seconds).
/// </summary>
public sealed class SpoolModelTests
{
    private const string Directory = "/spool";

    [Fact]
    public void Every_acknowledged_batch_survives_any_crash_exactly_once_and_nothing_else_appears()
    {
        long crashes = 0, failures = 0;
        var count = ModelSchedules.Run(10_000, seed => new Schedule(seed), schedule =>
        {
            crashes += schedule.Crashes;
            failures += schedule.Failures;
        });

        // The schedules must actually crash and fail, or they prove nothing.
        if (count > 0)
        {
            Assert.True(crashes > count / 2, $"{crashes} crashes in {count} schedules");
            Assert.True(failures > count / 4, $"{failures} injected failures in {count} schedules");
        }
    }

    private sealed class Schedule(int seed) : IModelSchedule
    {
        private readonly Random _random = new(seed);
        private readonly Dictionary<BatchId, byte[]> _sent = [];
        private readonly Dictionary<BatchId, byte[]> _acknowledged = [];
        private readonly List<BatchId> _unacknowledged = [];
        private readonly HashSet<BatchId> _committed = [];

        // What the upstream received: every record read is delivered before its commit, and a commit that failed may
        // still have taken effect (the ledger renamed, its directory sync failed), so delivery, not commit, is what
        // must cover every acknowledged batch.
        private readonly HashSet<BatchId> _received = [];
        private readonly StringBuilder _trace = new();
        private CrashingFileSystem _fs = null!;
        private SpoolOptions _options = null!;
        private SpoolLog? _spool;
        private SpoolPosition _position;
        private readonly List<SpoolRecord> _delivered = [];
        private long _dropped;

        // What this incarnation answered, to check its counters against.
        private readonly Dictionary<AppendResult, long> _answers = [];

        public long Crashes { get; private set; }

        public long Failures => _fs.Failures;

        public string Trace => _trace + "injected: " + string.Join("; ", _fs.Injected);

        public void Run()
        {
            _fs = new CrashingFileSystem(new Random(seed * 7919));
            var maxBytes = _random.Next(4, 40) * 1024L;
            _options = new SpoolOptions
            {
                Directory = Directory,
                MaxBytes = maxBytes,
                SegmentBytes = _random.Next(1, 4) * 1024L,
                SegmentFloor = 512,
                FullPolicy = _random.Next(4) == 0 ? SpoolFullPolicy.DropOldest : SpoolFullPolicy.Backpressure,
            };
            Note($"options max={maxBytes} segment={_options.SegmentBytes} policy={_options.FullPolicy}");
            Start();
            var steps = _random.Next(10, 60);
            for (var step = 0; step < steps; step++)
            {
                var choice = _random.Next(100);
                if (choice < 45)
                {
                    Append();
                }
                else if (choice < 70)
                {
                    Consume();
                }
                else if (choice < 80)
                {
                    ModelSchedules.ArmCrash(_fs, _random, 40, Note);
                }
                else if (choice < 90)
                {
                    ModelSchedules.ArmFailure(_fs, _random, 15, Note);
                }
                else
                {
                    Note("power cut");
                    Restart();
                }

                if (_fs.Crashed)
                {
                    Restart();
                }
            }

            // The end: a last power cut, then everything left is read and committed, with nothing armed.
            _fs.Disarm();
            Restart(armCrash: false);
            Consume(all: true);

            var lost = _acknowledged.Keys.Where(id => !_received.Contains(id)).ToList();
            if (_options.FullPolicy == SpoolFullPolicy.Backpressure)
            {
                Assert.True(lost.Count == 0, $"{lost.Count} acknowledged batches never delivered: {string.Join(", ", lost)}");
            }
            else
            {
                Assert.True(lost.Count <= _dropped, $"{lost.Count} acknowledged batches lost, {_dropped} counted as dropped");
            }
        }

        private void Start(bool armCrash = true)
        {
            Crashes += ModelSchedules.Open(_fs, _random, armCrash, 25, Note, () => _spool = SpoolLog.OpenStepwise(_options, _fs.Mount()));
            _answers.Clear();
            _position = _spool!.CommittedPosition;
            Note($"opened at {_position}, {_spool.Stats.PendingRecords} pending, {_spool.SkippedRecords} skipped");
            _delivered.Clear();
            CheckDisk();
        }

        private void Restart(bool armCrash = true)
        {
            if (_spool is not null)
            {
                if (!_fs.Crashed)
                {
                    CheckCounters();
                }

                _dropped += _spool.Stats.DroppedBatches;
                if (_fs.Crashed)
                {
                    Crashes++;
                }
            }

            // A crashed process closes nothing; a power cut after a clean stop changes nothing either.
            Note(_fs.Crashed ? "crashed: restart" : "restart");
            _spool = null;
            _fs.Restart();
            Start(armCrash);
        }

        private void Append()
        {
            var spool = _spool!;
            Span<byte> bytes = stackalloc byte[16];
            var count = _random.Next(1, 5);
            List<(BatchId Id, Task<AppendResult> Task)> appends = [];
            for (var i = 0; i < count; i++)
            {
                BatchId id;
                if (_unacknowledged.Count > 0 && _random.Next(3) == 0)
                {
                    id = _unacknowledged[_random.Next(_unacknowledged.Count)];
                }
                else
                {
                    _random.NextBytes(bytes);
                    id = BatchId.Read(bytes); // from the seed, so a schedule replays exactly
                    _sent[id] = Batch();
                    _unacknowledged.Add(id);
                }

                appends.Add((id, spool.AppendAsync(id, Lines(_sent[id]), _sent[id])));
            }

            spool.WriteQueued();
            foreach (var (id, task) in appends)
            {
                Assert.True(task.IsCompleted, "an append was not answered by its group");
                var result = task.Result;
                _answers[result] = _answers.GetValueOrDefault(result) + 1;
                if (result is AppendResult.Durable or AppendResult.Duplicate)
                {
                    _acknowledged[id] = _sent[id];
                    _unacknowledged.Remove(id);
                }
            }

            Note($"append {string.Join(" ", appends.Select(a => $"{Short(a.Id)}:{a.Task.Result}"))}");
        }

        private void Consume(bool all = false)
        {
            var spool = _spool!;
            var want = all ? int.MaxValue : _random.Next(1, 6);
            var position = _position;
            List<SpoolRecord> read = [];
            try
            {
                while (read.Count < want && spool.TryRead(ref position) is { } record)
                {
                    read.Add(record);
                }
            }
            catch (IOException) when (_fs.Crashed)
            {
                return;
            }

            foreach (var record in read)
            {
                Assert.True(_sent.TryGetValue(record.BatchId, out var data), $"a record with a batch id never sent: {record.BatchId}");
                Assert.True(data.AsSpan().SequenceEqual(record.Data.Span), $"batch {record.BatchId} came back different");
                Assert.False(_committed.Contains(record.BatchId), $"batch {record.BatchId} delivered again after its commit");
                Assert.DoesNotContain(_delivered, d => d.BatchId == record.BatchId);
                _delivered.Add(record);
                _received.Add(record.BatchId);
            }

            _position = position;
            if (_delivered.Count == 0 || (!all && _random.Next(5) == 0))
            {
                return; // read but not committed yet: replayed after a restart, which is allowed
            }

            try
            {
                spool.Commit(position, _delivered.Count, _delivered.Sum(r => (long)r.EventCount));
            }
            catch (IOException ex)
            {
                // The ledger was not replaced: nothing counts as done, and the consumer starts again from the commit.
                Note($"commit failed: {ex.Message}");
                _position = spool.CommittedPosition;
                _delivered.Clear();
                return;
            }

            foreach (var record in _delivered)
            {
                _committed.Add(record.BatchId);
            }

            Note($"commit {string.Join(" ", _delivered.Select(r => Short(r.BatchId)))} to {position}");
            _delivered.Clear();
        }

        /// <summary>The segments stay within the bound, and the spool's own count of their bytes is exact: nothing padded.</summary>
        private void CheckDisk()
        {
            var segments = _fs.Files(".seg");
            var total = segments.Sum(s => s.Length);
            var stats = _spool!.Stats;
            Assert.Equal(total, stats.Bytes);
            Assert.Equal(segments.Count, stats.Segments);
            Assert.True(total <= _options.MaxBytes, $"segments take {total} bytes, over the bound of {_options.MaxBytes}");
        }

        private void CheckCounters()
        {
            var stats = _spool!.Stats;
            Assert.Equal(_answers.GetValueOrDefault(AppendResult.Durable), stats.AppendedBatches);
            Assert.Equal(_answers.GetValueOrDefault(AppendResult.Duplicate), stats.DuplicateBatches);
            Assert.Equal(_answers.GetValueOrDefault(AppendResult.Full), stats.FullRejects);
            Assert.Equal(_answers.GetValueOrDefault(AppendResult.Failed) + _answers.GetValueOrDefault(AppendResult.DiskFull), stats.FailedAppends);
            CheckDisk();
        }

        private byte[] Batch()
        {
            var lines = _random.Next(1, 6);
            var text = new StringBuilder();
            for (var i = 0; i < lines; i++)
            {
                text.Append("{\"n\":").Append(_random.Next()).Append(",\"pad\":\"").Append('x', _random.Next(0, 300)).Append("\"}\n");
            }

            return Encoding.UTF8.GetBytes(text.ToString());
        }

        private static string Short(BatchId id) => id.ToString()[..8];

        private static int Lines(byte[] data) => data.Count(b => b == (byte)'\n');

        private void Note(string what) => _trace.Append(CultureInfo.InvariantCulture, $"[{_fs?.Operations}] {what}\n");
    }
}
