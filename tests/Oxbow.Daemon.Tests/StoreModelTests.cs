using System.Globalization;
using System.IO.Compression;
using System.Text;
using Oxbow.Daemon.Spool;
using Oxbow.Daemon.Tests.Support;
using Oxbow.Store;
using Oxbow.Store.Compaction;
using Oxbow.Store.Partitions;
using Oxbow.Transport;

namespace Oxbow.Daemon.Tests;

/// <summary>
/// The collector's spool and store together, against a model of what they promise, over a file system that crashes
/// or fails at chosen operations. Each schedule is random batches from several senders (retrying what was not
/// acknowledged) into a few types and hours, checkpoints, seals (idle, full, and files closed by the open-file bound),
/// removal of sealed sources, compactions of hours (their commit steps; a stand-in for DuckDB's Parquet), failures (ENOSPC, EIO), crashes at any operation (recovery included) and restarts.
/// After every start and at the end the invariants are checked against what a query would read. A failing schedule
/// names its seed: OXBOW_MODEL_SEED=N replays it alone; OXBOW_MODEL_SCHEDULES sets how many run (default 3,000, about 20 seconds; 10,000 and 30,000 passed before this
/// test was committed).
/// </summary>
public sealed class StoreModelTests
{
    private const string Data = "/data";

    [Fact]
    public void Every_acknowledged_event_is_stored_exactly_once_whatever_crashes_and_no_partial_line_is_ever_visible()
    {
        long crashes = 0, failures = 0, seals = 0, checkpoints = 0, compactions = 0;
        var count = ModelSchedules.Run(3_000, seed => new Schedule(seed), schedule =>
        {
            crashes += schedule.Crashes;
            failures += schedule.Failures;
            seals += schedule.Seals;
            checkpoints += schedule.Checkpoints;
            compactions += schedule.Compactions;
        });

        // The schedules must reach every part, or they prove nothing.
        if (count > 0)
        {
            Assert.True(crashes > count / 2, $"{crashes} crashes in {count} schedules");
            Assert.True(failures > count / 4, $"{failures} injected failures in {count} schedules");
            Assert.True(seals > count, $"{seals} files sealed in {count} schedules");
            Assert.True(checkpoints > count, $"{checkpoints} checkpoints in {count} schedules");
            Assert.True(compactions > count / 2, $"{compactions} compactions in {count} schedules");
        }
    }

    private sealed class Schedule(int seed) : IModelSchedule
    {
        private static readonly string[] Types = ["web", "web.db", "jobs"];
        private readonly Random _random = new(seed);
        private readonly Dictionary<BatchId, (byte[] Data, string[] Ids)> _sent = [];
        private readonly HashSet<BatchId> _acknowledged = [];
        private readonly List<BatchId> _unacknowledged = [];
        private readonly Dictionary<string, string> _lines = new(StringComparer.Ordinal); // line → event id
        private readonly StringBuilder _trace = new();
        private CrashingFileSystem _fs = null!;
        private SpoolOptions _spoolOptions = null!;
        private StorageOptions _storeOptions = null!;
        private SpoolLog? _spool;
        private PartitionStore? _store;
        private long _durableEvents; // events in batches this incarnation answered Durable

        public long Crashes { get; private set; }

        public long Failures => _fs.Failures;

        public long Seals { get; private set; }

        public long Checkpoints { get; private set; }

        public long Compactions { get; private set; }

        private int _compactions; // names every compaction's output, committed or not

        public string Trace => _trace + "injected: " + string.Join("; ", _fs.Injected);

        public void Run()
        {
            _fs = new CrashingFileSystem(new Random(seed * 7919));
            _spoolOptions = new SpoolOptions
            {
                Directory = Data + "/_oxbow/spool",
                MaxBytes = _random.Next(8, 64) * 1024L,
                SegmentBytes = _random.Next(1, 4) * 1024L,
                SegmentFloor = 512,
            };
            _storeOptions = new StorageOptions
            {
                DataDirectory = Data,
                CollectorName = "model",
                MaxOpenFiles = _random.Next(1, 5),
                MaxFileBytes = _random.Next(1, 8) * 512L,
                SealAfterIdle = TimeSpan.Zero,
            };
            Note($"options spool={_spoolOptions.MaxBytes}/{_spoolOptions.SegmentBytes} open={_storeOptions.MaxOpenFiles} file={_storeOptions.MaxFileBytes}");
            Start();
            var steps = _random.Next(10, 50);
            for (var step = 0; step < steps; step++)
            {
                var choice = _random.Next(100);
                if (choice < 42)
                {
                    Append();
                }
                else if (choice < 55)
                {
                    Checkpoint();
                }
                else if (choice < 64)
                {
                    Seal();
                }
                else if (choice < 70)
                {
                    Compact();
                }
                else if (choice < 80)
                {
                    ModelSchedules.ArmCrash(_fs, _random, 60, Note);
                }
                else if (choice < 92)
                {
                    ModelSchedules.ArmFailure(_fs, _random, 20, Note);
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

            // The end: every sender retries what was not acknowledged until it is, with nothing armed; then a last
            // power cut, and the store must hold every event exactly once.
            _fs.Disarm();
            for (var retry = 0; _unacknowledged.Count > 0 && retry < 20; retry++)
            {
                Checkpoint();
                Append(onlyRetries: true);
            }

            Assert.Empty(_unacknowledged);
            Restart(armCrash: false);
            CheckStore(final: true);
        }

        private void Start(bool armCrash = true)
        {
            Crashes += ModelSchedules.Open(_fs, _random, armCrash, 40, Note, () =>
            {
                var mount = _fs.Mount();
                _store = PartitionStore.OpenStepwise(_storeOptions, mount);
                _spool = SpoolLog.OpenStepwise(_spoolOptions, mount, _store);
            });
            _durableEvents = 0;
            var stats = _store!.Stats;
            Note($"opened: {stats.OpenFiles} open files, discarded {stats.RecoveryDiscardedBytes} bytes");
            // Nothing acknowledged was lost or damaged, so recovery never had to cut into it or flag it.
            Assert.Equal(0, stats.RecoveryMissingBytes);
            Assert.Equal(0, stats.RecoveryCorruptBatches);
            CheckStore(final: false);
        }

        private void Restart(bool armCrash = true)
        {
            if (_store is not null && !_fs.Crashed)
            {
                // What this incarnation stored is what it acknowledged as newly durable.
                Assert.Equal(_durableEvents, _store.Stats.Events);
            }

            if (_fs.Crashed)
            {
                Crashes++;
            }

            Note(_fs.Crashed ? "crashed: restart" : "restart");
            _spool = null;
            _store = null;
            _fs.Restart();
            Start(armCrash);
        }

        private void Append(bool onlyRetries = false)
        {
            var spool = _spool!;
            var count = onlyRetries ? _unacknowledged.Count : _random.Next(1, 5);
            List<(BatchId Id, Task<AppendResult> Task)> appends = [];
            Span<byte> bytes = stackalloc byte[16];
            for (var i = 0; i < count; i++)
            {
                BatchId id;
                if (onlyRetries)
                {
                    id = _unacknowledged[i];
                }
                else if (_unacknowledged.Count > 0 && _random.Next(3) == 0)
                {
                    id = _unacknowledged[_random.Next(_unacknowledged.Count)];
                }
                else
                {
                    _random.NextBytes(bytes);
                    id = BatchId.Read(bytes);
                    _sent[id] = Batch();
                    _unacknowledged.Add(id);
                }

                if (appends.All(a => a.Id != id))
                {
                    appends.Add((id, spool.AppendAsync(id, _sent[id].Ids.Length, _sent[id].Data)));
                }
            }

            spool.WriteQueued();
            foreach (var (id, task) in appends)
            {
                Assert.True(task.IsCompleted, "an append was not answered by its group");
                var result = task.Result;
                if (result == AppendResult.Durable)
                {
                    _durableEvents += _sent[id].Ids.Length;
                }

                if (result is AppendResult.Durable or AppendResult.Duplicate)
                {
                    _acknowledged.Add(id);
                    _unacknowledged.Remove(id);
                }
            }

            Note($"append {string.Join(" ", appends.Select(a => $"{a.Id.ToString()[..8]}:{a.Task.Result}"))}");
        }

        private void Checkpoint()
        {
            try
            {
                _store!.CheckpointNow(_spool!);
                Checkpoints++;
                Note("checkpoint");
            }
            catch (IOException ex)
            {
                // The collector logs it and tries again at the next tick; acknowledged batches are in the spool.
                Note($"checkpoint failed: {ex.Message}");
            }
        }

        private void Seal()
        {
            var before = _store!.Stats.SealedFiles;
            _store.SealIdleNow();
            if (_random.Next(2) == 0)
            {
                _store.RemoveSealedSourcesNow();
            }

            Seals += _store.Stats.SealedFiles - before;
            Note($"seal: {_store.Stats.SealedFiles - before} sealed");
        }

        /// <summary>
        /// What a query reads (each <c>.ndjson.gz</c>, and each <c>.ndjson</c> without one): whole lines only, each a
        /// line that was sent, no event twice; at the end, every acknowledged event.
        /// </summary>
        private void CheckStore(bool final)
        {
            var visible = new Dictionary<string, string>(StringComparer.Ordinal); // event id → file
            foreach (var path in HourDirectories().SelectMany(Counted))
            {
                var content = Read(path);
                Assert.True(content.Length > 0 || path.EndsWith(".ndjson", StringComparison.Ordinal), $"{path} is sealed or compacted and empty");
                Assert.True(content.Length == 0 || content[^1] == (byte)'\n', $"{path} ends inside a line");
                foreach (var line in Encoding.UTF8.GetString(content).Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    Assert.True(_lines.TryGetValue(line, out var id), $"{path} holds a line that was never sent: {line[..Math.Min(line.Length, 80)]}");
                    Assert.True(visible.TryAdd(id, path), $"event {id} (batch {_sent.First(b => b.Value.Ids.Contains(id)).Key}) is stored twice: in {visible.GetValueOrDefault(id)} and {path}");
                    Assert.Contains($"/type={line.Split("\"type\":\"")[1].Split('"')[0]}/", path);
                }
            }

            if (Environment.GetEnvironmentVariable("OXBOW_MODEL_SEED") is { Length: > 0 })
            {
                Note("files: " + string.Join(" ", _fs.Files("").Where(f => !f.Path.Contains("/spool/", StringComparison.Ordinal)).Select(f => $"{f.Path.Replace("/data/", "", StringComparison.Ordinal)}={f.Length}")));
                Note("intents: " + (_fs.Files("store-intents").Count > 0 ? Encoding.UTF8.GetString(_fs.Content(Data + "/_oxbow/store-intents")).Replace("\n", " ", StringComparison.Ordinal) : "none"));
                Note("visible: " + string.Join(" ", _sent.Where(b => b.Value.Ids.Any(visible.ContainsKey)).Select(b => $"{b.Key.ToString()[..8]}({b.Value.Ids.Count(visible.ContainsKey)}/{b.Value.Ids.Length})")));
            }

            foreach (var id in _acknowledged)
            {
                foreach (var eventId in _sent[id].Ids)
                {
                    Assert.True(visible.ContainsKey(eventId), $"event {eventId} of acknowledged batch {id} is not in the store");
                }
            }

            if (final)
            {
                Assert.Equal(_acknowledged.Sum(id => _sent[id].Ids.Length), visible.Count);
            }

            // The spool holds only placement records, within its bound.
            Assert.True(_fs.Files(".seg").Sum(s => s.Length) <= _spoolOptions.MaxBytes, "the spool is over its bound");
        }

        /// <summary>
        /// A compaction of one hour with sealed files, as the collector's would (its inputs by the rules queries use;
        /// each step of its commit through the crashing file system). Parquet is the one part that cannot run here:
        /// DuckDB writes its own files, so the stand-in output is the inputs' lines, written through the seam.
        /// </summary>
        private void Compact()
        {
            var hours = _fs.Files(".ndjson.gz").Select(f => Path.GetDirectoryName(f.Path)!).Distinct().Order(StringComparer.Ordinal).ToList();
            if (hours.Count == 0)
            {
                return;
            }

            var directory = hours[_random.Next(hours.Count)];
            var mount = _fs.Mount();
            try
            {
                var commit = new CompactionCommit(mount, directory);
                commit.Recover(_ => true);
                var files = Files(directory);
                if (files.Sealed.Count == 0 && files.Parquet.Count <= 1)
                {
                    return;
                }

                List<string> inputs = [.. files.Sealed, .. files.Parquet];
                var target = $"{directory}/model-{++_compactions:D6}.parquet";
                commit.Begin(target, inputs.Select(i => Path.GetFileName(i)));
                using (var output = mount.Create(target + StoreLayout.TemporarySuffix))
                {
                    output.Write([.. inputs.SelectMany(Read)], 0);
                    output.Flush();
                }

                commit.Commit(target);
                commit.RemoveReplaced(target + StoreLayout.SourcesSuffix);
                Compactions++;
                Note($"compacted {inputs.Count} files of {directory[Data.Length..]}");
            }
            catch (IOException ex)
            {
                Note($"compaction failed: {ex.Message}");
            }
        }

        private IEnumerable<string> HourDirectories() =>
            _fs.Files("").Select(f => Path.GetDirectoryName(f.Path)!).Where(d => d.StartsWith(Data + "/type=", StringComparison.Ordinal)).Distinct().Order(StringComparer.Ordinal);

        /// <summary>The files of an hour that a query reads, by the store's own rules.</summary>
        private PartitionFiles Files(string directory)
        {
            var names = _fs.Files("").Where(f => Path.GetDirectoryName(f.Path) == directory).Select(f => Path.GetFileName(f.Path)).ToHashSet(StringComparer.Ordinal);
            return StoreLayout.Count(new Partition("model", default, 0, directory), names, name => StoreLayout.ParseSources(Encoding.UTF8.GetString(_fs.Content(directory + "/" + name))));
        }

        private IEnumerable<string> Counted(string directory)
        {
            var files = Files(directory);
            return [.. files.Active, .. files.Sealed, .. files.Parquet];
        }

        /// <summary>A counted file's lines: gzip undone for a sealed file (the model's Parquet is plain lines).</summary>
        private byte[] Read(string path)
        {
            var content = _fs.Content(path);
            if (!path.EndsWith(".gz", StringComparison.Ordinal))
            {
                return content;
            }

            using var gzip = new GZipStream(new MemoryStream(content), CompressionMode.Decompress);
            using var plain = new MemoryStream();
            gzip.CopyTo(plain);
            return plain.ToArray();
        }

        private (byte[] Data, string[] Ids) Batch()
        {
            var count = _random.Next(1, 6);
            var ids = new string[count];
            var text = new StringBuilder();
            for (var i = 0; i < count; i++)
            {
                ids[i] = Convert.ToHexStringLower(BitConverter.GetBytes(_random.NextInt64())) + Convert.ToHexStringLower(BitConverter.GetBytes(_random.NextInt64()));
                var time = $"2026-12-0{1 + _random.Next(2)}T{_random.Next(3):00}:{_random.Next(60):00}:00.000000Z";
                var line = $"{{\"id\":\"{ids[i]}\",\"type\":\"{Types[_random.Next(Types.Length)]}\",\"start\":\"{time}\",\"end\":\"{time}\",\"level\":\"info\",\"host\":\"h\",\"pid\":1,\"app\":\"model\",\"body\":{{\"pad\":\"{new string('x', _random.Next(0, 200))}\"}}}}";
                _lines[line] = ids[i];
                text.Append(line).Append('\n');
            }

            return (Encoding.UTF8.GetBytes(text.ToString()), ids);
        }

        private void Note(string what) => _trace.Append(CultureInfo.InvariantCulture, $"[{_fs?.Operations}] {what}\n");
    }
}
