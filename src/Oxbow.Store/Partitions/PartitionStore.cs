using System.Text.Json;
using Oxbow.Store.Files;
using Oxbow.Store.Listing;

namespace Oxbow.Store.Partitions;

/// <summary>
/// The collector's store: the spool's <see cref="IBatchPlacement"/>, writing each accepted batch straight into
/// <c>DATA/type=&lt;type&gt;/day=YYYY-MM-DD/hour=HH/</c> by each event's <c>end</c> time (UTC), as NDJSON files named
/// <c>&lt;collector-id&gt;-&lt;sequence&gt;.ndjson</c> that are sealed into <c>.ndjson.gz</c> when large or idle.
/// </summary>
/// <remarks>
/// <para>Each byte is written and fsynced once: into its partition file, before the spool's small record of which
/// files the batch went to and how long they then were, and only then is the batch acknowledged.</para>
/// <para>Exactly-once after a crash: the ledger holds a committed length for every open file (written every
/// <see cref="StorageOptions.CheckpointInterval"/>), and the spool records after it hold later lengths. On restart each
/// file is cut back to the longest length a durable record gives it: whatever lies past that was never acknowledged,
/// and its sender sends it again. Files created since the last checkpoint are listed in an intent log before their
/// first byte, and deleted when no durable record names them. The type name was validated at ingest
/// (<c>[a-z0-9_.-]</c>, no empty segment) and day and hour are digits, so a path can never leave DATA.</para>
/// <para>Threads: the spool's writer places and fsyncs; <see cref="RunAsync"/> checkpoints and seals. They share the
/// open files under one lock, which the writer never holds while waiting for anything but its own fsyncs.</para>
/// </remarks>
internal sealed partial class PartitionStore : IBatchPlacement
{
    private readonly StorageOptions _options;
    private readonly IDurableFileSystem _files;
    private readonly Action<IEnumerable<string>> _changed;
    private readonly bool _stepwise;
    // Files created (or recreated) whose directory entries are not yet durable: synced before the batch that put
    // bytes in them is acknowledged, or the file could vanish in a power cut with acknowledged events in it.
    private readonly List<string> _unsyncedEntries = [];
    // Hour directories whose chain up to DATA is known to be durable.
    private readonly HashSet<string> _syncedHours = new(StringComparer.Ordinal);
    private bool _intentsLinked;
    private readonly string _stateDirectory;
    private readonly string _intentsPath;
    private long _filesRecreated;
    private long _fsyncs; // partition files, intents and sealed files (the ledger's are the spool's)
    // Hours that got a new file in the batch being placed: one change record per batch, not one per file (a backfill
    // batch can open a file in each of a thousand hours). Guarded by _filesLock.
    private readonly HashSet<string> _newHours = new(StringComparer.Ordinal);
    private TimeSpan _recoveryTime;
    private readonly object _filesLock = new();
    private readonly Dictionary<string, PartitionFile> _open = new(StringComparer.Ordinal);
    private readonly List<PartitionFile> _touched = [];
    private readonly List<PlacedRegion> _regions = []; // the record of the batch being placed, reused
    // Files the bound closed while the batch being placed still had bytes in them: fsynced, and sealed once it commits.
    private readonly List<PartitionFile> _closedInBatch = [];
    // Names reserved (and made durable in the intents) for partitions the batch being placed will open.
    private readonly Dictionary<string, string> _reserved = new(StringComparer.Ordinal);
    private long _useClock; // orders files by last use, for closing the least recently used
    private readonly Queue<(string Relative, long SealedAt)> _sealedSources = new(); // under _sealLock
    private static readonly TimeSpan SealedSourceGrace = TimeSpan.FromSeconds(90);
    private long _filesEvicted;
    private bool _sealFullLogged; // seals run one at a time on the sealer
    private readonly Dictionary<string, long> _sealing = new(StringComparer.Ordinal);
    private readonly object _sealLock = new();
    private readonly List<Task> _sealTasks = [];
    private readonly List<(string Relative, long Length)> _sealsBeforeStart = [];
    private readonly System.Collections.Concurrent.ConcurrentQueue<TaskCompletionSource> _sealRequests = new();
    private LowPriorityWorker? _sealer;
    private long _nextSequence = 1;
    private long _storedEvents;
    private long _storedBytes;
    private long _sealedFiles;
    private long _unreadable;
    private long _discardedBytes;
    private long _discardedFiles;
    private long _missingBytes;
    private long _corruptBatches;
    private long _uncommittedEvents;
    private long _uncommittedBytes;
    private long _intentsWritten; // intents appended since they were last emptied
    private bool _closed;
    private object? _checkpointed; // the ledger's mark at the last checkpoint

    /// <summary>Prepares the store; the spool it is given to recovers it, and <see cref="RunAsync"/> keeps it.</summary>
    public PartitionStore(StorageOptions options)
        : this(options, PhysicalFileSystem.Instance, hours => StoreChanges.Record(options.DataDirectory, hours), stepwise: false)
    {
    }

    private PartitionStore(StorageOptions options, IDurableFileSystem files, Action<IEnumerable<string>> changed, bool stepwise)
    {
        _options = options;
        _files = files;
        _changed = changed;
        _stepwise = stepwise;
        _stateDirectory = Path.Combine(options.DataDirectory, "_oxbow");
        files.CreateDirectory(_stateDirectory);
        _intentsPath = Path.Combine(_stateDirectory, "store-intents");
        CollectorId = LoadOrCreateId(Path.Combine(_stateDirectory, "collector-id"), options.CollectorName);
    }

    /// <summary>
    /// A store for the model test: every file operation through <paramref name="files"/>, no change feed, and no
    /// background work: seals run inline, and the test calls <see cref="CheckpointNow"/>, <see cref="SealIdleNow"/>
    /// and <see cref="RemoveSealedSourcesNow"/> where <see cref="RunAsync"/> would.
    /// </summary>
    internal static PartitionStore OpenStepwise(StorageOptions options, IDurableFileSystem files) => new(options, files, _ => { }, stepwise: true);

    internal void CheckpointNow(IPlacementLedger ledger) => Checkpoint(ledger);

    internal void SealIdleNow() => SealDue();

    internal void RemoveSealedSourcesNow() => DeleteSealedSources(all: true);

    /// <summary>This collector's id, part of every file name so collectors can share a bucket.</summary>
    public string CollectorId { get; }

    /// <summary>Counters for stats.</summary>
    public StoreStats Stats
    {
        get
        {
            lock (_sealLock)
            {
                return new StoreStats(Interlocked.Read(ref _storedEvents), Interlocked.Read(ref _storedBytes), Volatile.Read(ref _openCount), _sealedFiles, Interlocked.Read(ref _unreadable))
                {
                    RecoveryDiscardedBytes = _discardedBytes,
                    RecoveryDiscardedFiles = _discardedFiles,
                    RecoveryMissingBytes = _missingBytes,
                    RecoveryCorruptBatches = _corruptBatches,
                    FilesRecreated = Interlocked.Read(ref _filesRecreated),
                    FilesClosedByBound = Interlocked.Read(ref _filesEvicted),
                    MaxOpenFiles = _options.MaxOpenFiles,
                    Fsyncs = Interlocked.Read(ref _fsyncs),
                    RecoveryTime = _recoveryTime,
                };
            }
        }
    }

    private int _openCount;

    /// <inheritdoc/>
    public ReadOnlyMemory<byte> Place(ReadOnlyMemory<byte> data)
    {
        lock (_filesLock)
        {
            if (_closed)
            {
                throw new IOException("the store is closed");
            }

            _touched.Clear();
            // Reservations belong to one batch: one left by a batch that failed half-way (its intents never written)
            // would let this batch open that file with no durable intent, which recovery could then not remove.
            // The model test found this.
            _reserved.Clear();
            var (events, bytes) = Write(data.Span);
            _uncommittedEvents += events;
            _uncommittedBytes += bytes;
            _regions.Clear();
            foreach (var file in _touched)
            {
                _regions.Add(new PlacedRegion(file.Relative, file.Length, checked((uint)(file.Length - file.BatchStart)), file.BatchChecksum));
            }

            return PlacementRecord.Write(_regions);
        }
    }

    /// <inheritdoc/>
    public void Flush()
    {
        lock (_filesLock)
        {
            foreach (var file in _open.Values)
            {
                if (file.Length > file.CommittedLength)
                {
                    EnsureLinked(file);
                    file.Handle.Flush();
                    Interlocked.Increment(ref _fsyncs);
                }
            }

            SyncNewEntries();
        }
    }

    /// <inheritdoc/>
    public void Committed()
    {
        lock (_filesLock)
        {
            foreach (var file in _open.Values)
            {
                file.CommittedLength = file.Length;
            }

            foreach (var file in _closedInBatch)
            {
                file.CommittedLength = file.Length;
                _ = StartSeal(file.Relative, file.CommittedLength);
            }

            _closedInBatch.Clear();

            Interlocked.Add(ref _storedEvents, _uncommittedEvents);
            Interlocked.Add(ref _storedBytes, _uncommittedBytes);
            _uncommittedEvents = _uncommittedBytes = 0;
        }

        RecordNewHours();
    }

    /// <inheritdoc/>
    public void Rollback()
    {
        lock (_filesLock)
        {
            foreach (var file in _open.Values)
            {
                if (file.Length > file.CommittedLength)
                {
                    try
                    {
                        // Flushed: the batch's bytes may be durable already (the spool's record failed after the
                        // placement's fsync), and an unflushed cut could be undone by a power cut after the file has
                        // left the ledger (sealed empty, removed), bringing the refused events back.
                        file.Handle.SetLength(file.CommittedLength);
                        file.Handle.Flush();
                    }
                    catch (IOException ex)
                    {
                        // Recovery cuts it back anyway; until then a query may see events the sender will resend.
                        OxbowDaemonLog.Error("store_rollback_failed", ex);
                    }

                    file.Length = file.CommittedLength;
                }
            }

            foreach (var file in _closedInBatch)
            {
                RollBackClosed(file);
            }

            _closedInBatch.Clear();
            _uncommittedEvents = _uncommittedBytes = 0;
        }

        RecordNewHours();
    }

    /// <summary>Records the hours that got new files in the batch just committed or rolled back (see <see cref="StoreChanges"/>).</summary>
    private void RecordNewHours()
    {
        string[] hours;
        lock (_filesLock)
        {
            if (_newHours.Count == 0)
            {
                return;
            }

            hours = [.. _newHours];
            _newHours.Clear();
        }

        _changed(hours);
    }

    /// <summary>A file closed by the bound during a batch that then failed: cut back to what was acknowledged, then sealed (or removed when that is nothing).</summary>
    private void RollBackClosed(PartitionFile file)
    {
        var full = FullPath(file.Relative);
        try
        {
            if (file.CommittedLength == 0)
            {
                DeleteDurably(full);
                Changed(file.Relative);
                return;
            }

            using (var handle = _files.Open(full))
            {
                handle.SetLength(file.CommittedLength);
                handle.Flush();
            }

            file.Length = file.CommittedLength;
            _ = StartSeal(file.Relative, file.CommittedLength);
        }
        catch (IOException ex)
        {
            // Recovery cuts it back anyway (the ledger still lists it as open).
            OxbowDaemonLog.Error("store_rollback_failed", ex);
        }
    }

    /// <inheritdoc/>
    public void WriteState(Utf8JsonWriter json)
    {
        // Lock order everywhere: the files, then the seals.
        lock (_filesLock)
        {
            KeyValuePair<string, long>[] sealing;
            lock (_sealLock)
            {
                sealing = [.. _sealing];
            }

            json.WriteStartObject();
            json.WriteNumber("next", _nextSequence);
            WriteFiles("open", _open.Values.Concat(_closedInBatch).Select(f => KeyValuePair.Create(f.Relative, f.CommittedLength)));
            WriteFiles("sealing", sealing);
            json.WriteEndObject();
        }

        void WriteFiles(string name, IEnumerable<KeyValuePair<string, long>> files)
        {
            json.WriteStartArray(name);
            foreach (var (relative, length) in files)
            {
                json.WriteStartObject();
                json.WriteString("path", relative);
                json.WriteNumber("length", length);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }
    }

    /// <summary>Tells long-lived readers of the store that the hour holding <paramref name="relative"/> changed (see <see cref="StoreChanges"/>).</summary>
    private void Changed(string relative) => _changed([relative[..relative.LastIndexOf('/')]]);

    private string FullPath(string relative)
    {
        var root = Path.GetFullPath(_options.DataDirectory);
        var full = Path.GetFullPath(Path.Combine(root, relative));
        // Defence in depth: type names are validated at ingest, but no path is ever used unless it is under DATA.
        return full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? full
            : throw new InvalidOperationException($"refusing path outside the data directory: {relative}");
    }
}
