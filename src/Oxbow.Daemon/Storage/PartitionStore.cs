using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using Oxbow.Daemon.Ingest;
using Oxbow.Daemon.Spool;
using Oxbow.Daemon.Threading;
using Oxbow.IO;
using Oxbow.Transport;

namespace Oxbow.Daemon.Storage;

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
public sealed class PartitionStore : IBatchPlacement
{
    private readonly StorageOptions _options;
    private readonly string _stateDirectory;
    private readonly string _intentsPath;
    private long _filesRecreated;
    private readonly object _filesLock = new();
    private readonly Dictionary<string, PartitionFile> _open = new(StringComparer.Ordinal);
    private readonly List<PartitionFile> _touched = [];
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
    private SpoolPosition _checkpointed;

    /// <summary>Prepares the store; the spool it is given to recovers it, and <see cref="RunAsync"/> keeps it.</summary>
    public PartitionStore(StorageOptions options)
    {
        _options = options;
        _stateDirectory = Path.Combine(options.DataDirectory, "_oxbow");
        Directory.CreateDirectory(_stateDirectory);
        _intentsPath = Path.Combine(_stateDirectory, "store-intents");
        CollectorId = LoadOrCreateId(Path.Combine(_stateDirectory, "collector-id"), options.CollectorName);
    }

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
                };
            }
        }
    }

    private int _openCount;

    /// <summary>
    /// Checkpoints <paramref name="spool"/>'s ledger and seals idle or full files until cancelled; then waits for the
    /// seals, checkpoints a last time and closes the files. The spool must have been opened with this store.
    /// </summary>
    public async Task RunAsync(SpoolLog spool, CancellationToken cancellationToken)
    {
        // Sealing gzips whole files: it yields the CPU to ingest rather than slow acknowledgements down.
        using var sealer = new LowPriorityWorker("oxbow-seal");
        lock (_sealLock)
        {
            _sealer = sealer;
        }

        foreach (var (relative, length) in _sealsBeforeStart)
        {
            _ = StartSeal(relative, length);
        }

        _sealsBeforeStart.Clear();
        var checkpointFull = false; // a full disk is logged once, not every 250 ms
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.CheckpointInterval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            try
            {
                Checkpoint(spool);
                checkpointFull = false;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Acknowledged batches are safe in the spool's records; the ledger is retried next time.
                DiskErrors.Log("store_checkpoint_failed", ex, ref checkpointFull);
            }

            SealDue();
            ServeSealRequests();
            DeleteSealedSources(all: false);
        }

        while (_sealRequests.TryDequeue(out var request))
        {
            request.TrySetCanceled(CancellationToken.None);
        }

        Task[] seals;
        lock (_sealLock)
        {
            seals = [.. _sealTasks];
        }

        await Task.WhenAll(seals).ConfigureAwait(false);
        DeleteSealedSources(all: true);
        lock (_filesLock)
        {
            _closed = true;
            Checkpoint(spool, force: true);
            foreach (var file in _open.Values)
            {
                file.Handle.Dispose();
            }

            _open.Clear();
            _openCount = 0;
        }
    }

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
            var (events, bytes) = Write(data.Span);
            _uncommittedEvents += events;
            _uncommittedBytes += bytes;
            return PlacementRecord.Write(_touched);
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
                    RandomAccess.FlushToDisk(file.Handle);
                }
            }
        }
    }

    /// <summary>A file removed from under the collector is put back, whole, before its batch is acknowledged.</summary>
    private void EnsureLinked(PartitionFile file)
    {
        var full = FullPath(file.Relative);
        if (UnlinkedFiles.IsLinkedAt(file.Handle, full))
        {
            return;
        }

        var rescued = UnlinkedFiles.Rescue(file.Handle, full, file.Length);
        file.Handle.Dispose();
        file.Handle = rescued;
        Interlocked.Increment(ref _filesRecreated);
        OxbowDaemonLog.Warning("store_file_recreated", "path", file.Relative, "bytes", file.Length, "reason", "removed from outside while open; recreated whole before acknowledging");
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
                        RandomAccess.SetLength(file.Handle, file.CommittedLength);
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
    }

    /// <summary>A file closed by the bound during a batch that then failed: cut back to what was acknowledged, then sealed (or removed when that is nothing).</summary>
    private void RollBackClosed(PartitionFile file)
    {
        var full = FullPath(file.Relative);
        try
        {
            if (file.CommittedLength == 0)
            {
                File.Delete(full);
                return;
            }

            using (var handle = File.OpenHandle(full, FileMode.Open, FileAccess.ReadWrite))
            {
                RandomAccess.SetLength(handle, file.CommittedLength);
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

    private (long Events, long Bytes) Write(ReadOnlySpan<byte> span)
    {
        var runStart = 0;
        var runLength = 0;
        PartitionFile? runFile = null;
        var now = Environment.TickCount64;
        long written = 0;
        Span<char> key = stackalloc char[Oxbow.EventType.MaxLength + 16];
        var lookup = _open.GetAlternateLookup<ReadOnlySpan<char>>();
        // Consecutive events mostly share type, day and hour: such a line goes to the file of the line before it,
        // which was fully checked, without checking and looking up again.
        PartitionFile? lastFile = null;
        ReadOnlySpan<byte> lastType = default, lastDayHour = default;
        long events = 0;
        var offset = 0;
        var reserved = false;
        while (offset < span.Length)
        {
            var newline = span[offset..].IndexOf((byte)'\n');
            var end = newline < 0 ? span.Length : offset + newline + 1;
            var line = span[offset..(newline < 0 ? span.Length : offset + newline)];
            PartitionFile file;
            if (lastFile is not null && CanonicalLine.TryLocate(line, out var located)
                && located.Type.SequenceEqual(lastType) && located.DayAndHour.SequenceEqual(lastDayHour))
            {
                file = lastFile;
            }
            else
            {
                if (!CanonicalLine.TryParse(line, out var canonical))
                {
                    // Validated at ingest, so only damage gets here: keep going, count it.
                    Interlocked.Increment(ref _unreadable);
                    offset = end;
                    continue;
                }

                var keyLength = PartitionKey(canonical, key);
                if (!lookup.TryGetValue(key[..keyLength], out var found))
                {
                    if (!reserved)
                    {
                        ReserveNames(span[offset..]);
                        reserved = true;
                    }

                    // Opening may close the least recently used file to stay within the bound: write out the run
                    // gathered so far first, while its file is still open.
                    written += Append(runFile, span.Slice(runStart, runLength), now);
                    runFile = null;
                    runLength = 0;
                    found = Open(new string(key[..keyLength]));
                }

                found.LastUse = ++_useClock;

                file = lastFile = found;
                lastType = canonical.Type;
                lastDayHour = canonical.DayAndHour;
            }

            if (file != runFile || runStart + runLength != offset)
            {
                written += Append(runFile, span.Slice(runStart, runLength), now);
                runFile = file;
                runStart = offset;
                runLength = 0;
            }

            runLength += end - offset;
            events++;
            offset = end;
        }

        written += Append(runFile, span.Slice(runStart, runLength), now);
        if (newlineMissing(span))
        {
            written += Append(runFile, "\n"u8, now);
        }

        _reserved.Clear();
        return (events, written);

        static bool newlineMissing(ReadOnlySpan<byte> s) => !s.IsEmpty && s[^1] != '\n';
    }

    private long Append(PartitionFile? file, ReadOnlySpan<byte> bytes, long now)
    {
        if (file is null || bytes.IsEmpty)
        {
            return 0;
        }

        if (!_touched.Contains(file))
        {
            _touched.Add(file);
            file.BatchStart = file.Length;
            file.BatchChecksum = 0;
        }

        RandomAccess.Write(file.Handle, bytes, file.Length);
        file.Length += bytes.Length;
        file.LastWriteTicks = now;
        file.BatchChecksum = Crc32C.Append(file.BatchChecksum, bytes);
        return bytes.Length;
    }

    private static int PartitionKey(CanonicalLine line, Span<char> key)
    {
        var n = Encoding.ASCII.GetChars(line.Type, key);
        key[n++] = '/';
        n += Encoding.ASCII.GetChars(line.Day, key[n..]);
        key[n++] = '/';
        n += Encoding.ASCII.GetChars(line.Hour, key[n..]);
        return n;
    }

    private PartitionFile Open(string key)
    {
        if (!_reserved.Remove(key, out var relative))
        {
            // Closed by the bound earlier in this batch and needed again: a new name, with its own intent.
            relative = NewName(key);
            WriteIntents([relative]);
        }

        if (_open.Count >= _options.MaxOpenFiles)
        {
            CloseLeastRecentlyUsed();
        }

        var full = FullPath(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var file = new PartitionFile(key, relative, File.OpenHandle(full, FileMode.Create, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete), 0);
        _open[key] = file;
        _openCount = _open.Count;
        return file;
    }

    private string NewName(string key)
    {
        var parts = key.Split('/');
        return $"type={parts[0]}/day={parts[1]}/hour={parts[2]}/{CollectorId}-{_nextSequence++.ToString("D10", CultureInfo.InvariantCulture)}.ndjson";
    }

    /// <summary>
    /// Names every file the rest of the batch will need to open, and makes their intents durable with one fsync, before
    /// the first of them has a byte (so recovery can find and remove a file it never checkpointed). A batch that spans
    /// a thousand hours costs one fsync here, not a thousand.
    /// </summary>
    private void ReserveNames(ReadOnlySpan<byte> rest)
    {
        Span<char> key = stackalloc char[Oxbow.EventType.MaxLength + 16];
        var lookup = _open.GetAlternateLookup<ReadOnlySpan<char>>();
        var reserved = _reserved.GetAlternateLookup<ReadOnlySpan<char>>();
        List<string> names = [];
        while (!rest.IsEmpty)
        {
            var newline = rest.IndexOf((byte)'\n');
            var line = newline < 0 ? rest : rest[..newline];
            rest = newline < 0 ? default : rest[(newline + 1)..];
            if (CanonicalLine.TryParse(line, out var canonical))
            {
                var keyLength = PartitionKey(canonical, key);
                if (!lookup.ContainsKey(key[..keyLength]) && !reserved.ContainsKey(key[..keyLength]))
                {
                    var name = new string(key[..keyLength]);
                    var relative = NewName(name);
                    _reserved[name] = relative;
                    names.Add(relative);
                }
            }
        }

        WriteIntents(names);
    }

    private void WriteIntents(List<string> relatives)
    {
        if (relatives.Count == 0)
        {
            return;
        }

        using (var intents = new FileStream(_intentsPath, FileMode.Append, FileAccess.Write, FileShare.Read))
        {
            intents.Write(Encoding.UTF8.GetBytes(string.Concat(relatives.Select(r => r + "\n"))));
            intents.Flush(flushToDisk: true);
        }

        _intentsWritten += relatives.Count;
    }

    /// <summary>
    /// Keeps the open files within <see cref="StorageOptions.MaxOpenFiles"/>: closes the least recently used one and
    /// seals it. A file with bytes of the batch being placed is fsynced first and sealed once the batch commits.
    /// </summary>
    private void CloseLeastRecentlyUsed()
    {
        PartitionFile? idle = null, busy = null;
        foreach (var file in _open.Values)
        {
            ref var best = ref file.Length == file.CommittedLength ? ref idle : ref busy;
            if (best is null || file.LastUse < best.LastUse)
            {
                best = file;
            }
        }

        if (idle is not null)
        {
            Close(idle);
            _ = StartSeal(idle.Relative, idle.CommittedLength);
        }
        else if (busy is not null)
        {
            EnsureLinked(busy);
            RandomAccess.FlushToDisk(busy.Handle);
            Close(busy);
            _closedInBatch.Add(busy);
        }

        Interlocked.Increment(ref _filesEvicted);
    }

    private string FullPath(string relative)
    {
        var root = Path.GetFullPath(_options.DataDirectory);
        var full = Path.GetFullPath(Path.Combine(root, relative));
        // Defence in depth: type names are validated at ingest, but no path is ever used unless it is under DATA.
        return full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? full
            : throw new InvalidOperationException($"refusing path outside the data directory: {relative}");
    }

    /// <summary>
    /// Writes the ledger: the spool's durable end and every open file's committed length. Taking the position first
    /// and the lengths after it (both under the files lock, which <see cref="Committed"/> needs) means the lengths cover
    /// at least every record before the position; recovery takes later records' lengths from the spool.
    /// </summary>
    private void Checkpoint(SpoolLog spool, bool force = false)
    {
        SpoolPosition position;
        long intents;
        System.Buffers.ArrayBufferWriter<byte> state;
        lock (_filesLock)
        {
            position = spool.DurableEnd;
            intents = _intentsWritten;
            if (position == _checkpointed && !force && intents == 0)
            {
                return;
            }

            state = new System.Buffers.ArrayBufferWriter<byte>(1024);
            using var json = new Utf8JsonWriter(state);
            WriteState(json);
        }

        // The ledger's fsyncs run without the lock: the spool's writer goes on placing batches meanwhile.
        spool.Commit(position, 0, 0, json => json.WriteRawValue(state.WrittenSpan, skipInputValidation: true));
        _checkpointed = position;
        if (intents > 0)
        {
            lock (_filesLock)
            {
                // Every file named in the intents is now in the ledger, unless one was created since the snapshot:
                // then the next checkpoint empties them.
                if (_intentsWritten == intents)
                {
                    File.WriteAllBytes(_intentsPath, []);
                    _intentsWritten = 0;
                }
            }
        }
    }

    private void SealDue()
    {
        var now = Environment.TickCount64;
        lock (_filesLock)
        {
            foreach (var file in _open.Values.ToArray())
            {
                var idle = now - file.LastWriteTicks >= (long)_options.SealAfterIdle.TotalMilliseconds;
                if (file.Length == file.CommittedLength && (idle || file.Length >= _options.MaxFileBytes))
                {
                    Close(file);
                    _ = StartSeal(file.Relative, file.CommittedLength);
                }
            }
        }
    }

    /// <summary>Takes a file whose every byte is committed out of the open set; the next event of its partition starts a new one.</summary>
    private void Close(PartitionFile file)
    {
        _open.Remove(file.Key);
        _openCount = _open.Count;
        file.Handle.Dispose();
    }

    /// <summary>
    /// Seals every open file of an hour that has ended (so <c>oxbow store zip</c> can compact it now rather than after
    /// the idle timeout). Served at the store's next checkpoint tick; completes when the seals are done.
    /// </summary>
    public Task SealClosedHoursAsync(CancellationToken cancellationToken)
    {
        var request = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _sealRequests.Enqueue(request);
        return request.Task.WaitAsync(cancellationToken);
    }

    private void ServeSealRequests()
    {
        if (_sealRequests.IsEmpty)
        {
            return;
        }

        var currentHour = DateTime.UtcNow.ToString("yyyy-MM-dd'/'HH", CultureInfo.InvariantCulture);
        List<Task> seals = [];
        lock (_filesLock)
        {
            foreach (var file in _open.Values.ToArray())
            {
                // Key is type/day/hour; day and hour sort as text.
                var dayHour = file.Key[(file.Key.IndexOf('/') + 1)..];
                if (file.Length == file.CommittedLength && string.CompareOrdinal(dayHour, currentHour) < 0)
                {
                    Close(file);
                    seals.Add(StartSeal(file.Relative, file.CommittedLength));
                }
            }
        }

        var done = Task.WhenAll(seals);
        while (_sealRequests.TryDequeue(out var request))
        {
            done.ContinueWith(_ => request.TrySetResult(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    private Task StartSeal(string relative, long length)
    {
        lock (_sealLock)
        {
            _sealing[relative] = length;
            if (_sealer is null)
            {
                // Recovering, before RunAsync: started with it.
                _sealsBeforeStart.Add((relative, length));
                return Task.CompletedTask;
            }

            _sealTasks.RemoveAll(t => t.IsCompleted);
            var task = _sealer!.Run(() => Seal(relative));
            _sealTasks.Add(task);
            return task;
        }
    }

    private void Seal(string relative)
    {
        var source = FullPath(relative);
        var target = source + ".gz";
        var temporary = target + ".tmp";
        try
        {
            if (new FileInfo(source) is { Exists: true, Length: 0 })
            {
                // Nothing acknowledged in it (a batch rolled back): a sealed file is never empty.
                File.Delete(source);
                lock (_sealLock)
                {
                    _sealing.Remove(relative);
                }

                return;
            }

            using (var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
            using (var output = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
                {
                    input.CopyTo(gzip);
                }

                output.Flush(flushToDisk: true);
            }

            File.Move(temporary, target, overwrite: true);
            lock (_sealLock)
            {
                // The NDJSON stays a while for queries that listed it before the .gz existed (listings ignore it
                // now); the ledger keeps it under sealing until it goes, so recovery removes it after a crash.
                _sealedSources.Enqueue((relative, Environment.TickCount64));
                _sealedFiles++;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left in the sealing list: the next start retries it.
            File.Delete(temporary);
            DiskErrors.Log("store_seal_failed", ex, ref _sealFullLogged);
        }
    }

    /// <summary>Removes the NDJSON of sealed files once no query can still be reading it (or all, when stopping).</summary>
    private void DeleteSealedSources(bool all)
    {
        var now = Environment.TickCount64;
        while (true)
        {
            string relative;
            lock (_sealLock)
            {
                if (!_sealedSources.TryPeek(out var next) || (!all && now - next.SealedAt < (long)SealedSourceGrace.TotalMilliseconds))
                {
                    return;
                }

                relative = _sealedSources.Dequeue().Relative;
            }

            try
            {
                File.Delete(FullPath(relative));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                OxbowDaemonLog.Error("store_seal_cleanup_failed", ex);
            }

            lock (_sealLock)
            {
                _sealing.Remove(relative);
            }
        }
    }

    /// <inheritdoc/>
    public void Recover(JsonElement? state, IReadOnlyList<RecoveredBatch> batches)
    {
        // The length each file had when its last acknowledged batch was in it.
        Dictionary<string, long> lengths = new(StringComparer.Ordinal);
        HashSet<string> sealing = new(StringComparer.Ordinal);
        if (state is { } s)
        {
            _nextSequence = s.GetProperty("next").GetInt64();
            foreach (var entry in s.GetProperty("open").EnumerateArray())
            {
                lengths[entry.GetProperty("path").GetString()!] = entry.GetProperty("length").GetInt64();
            }

            foreach (var entry in s.GetProperty("sealing").EnumerateArray())
            {
                var relative = entry.GetProperty("path").GetString()!;
                sealing.Add(relative);
                lengths.Remove(relative);
                var full = FullPath(relative);
                File.Delete(full + ".gz.tmp");
                if (File.Exists(full + ".gz"))
                {
                    File.Delete(full);
                }
                else if (File.Exists(full))
                {
                    using var handle = File.OpenHandle(full, FileMode.Open, FileAccess.ReadWrite);
                    StartSeal(relative, CutToAcknowledged(handle, relative, entry.GetProperty("length").GetInt64()));
                }
            }
        }

        List<PlacedRegion> regions = [];
        foreach (var batch in batches)
        {
            if (batch.Placed)
            {
                foreach (var region in PlacementRecord.Read(batch.Data.Span))
                {
                    if (!sealing.Contains(region.Path))
                    {
                        lengths[region.Path] = Math.Max(region.End, lengths.GetValueOrDefault(region.Path));
                        regions.Add(region);
                    }
                }
            }
        }

        if (File.Exists(_intentsPath))
        {
            foreach (var relative in File.ReadAllLines(_intentsPath))
            {
                if (relative.Length > 0 && !lengths.ContainsKey(relative) && !sealing.Contains(relative) && relative.StartsWith("type=", StringComparison.Ordinal))
                {
                    // Created since the last checkpoint, and no acknowledged batch is in it.
                    var full = FullPath(relative);
                    if (File.Exists(full))
                    {
                        _discardedBytes += new FileInfo(full).Length;
                        _discardedFiles++;
                        File.Delete(full);
                    }

                    File.Delete(full + ".gz.tmp");
                }
            }

            _intentsWritten = 1; // emptied at the first checkpoint, once the ledger names what it keeps
        }

        // Oldest first, so that of two files for one partition the newer stays open and the older is sealed.
        foreach (var (relative, acknowledged) in lengths.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            _nextSequence = Math.Max(_nextSequence, SequenceOf(relative) + 1);
            var full = FullPath(relative);
            if (File.Exists(full + ".gz"))
            {
                File.Delete(full);
                continue;
            }

            if (!File.Exists(full))
            {
                continue;
            }

            var handle = File.OpenHandle(full, FileMode.Open, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
            var length = CutToAcknowledged(handle, relative, acknowledged);
            var key = KeyOf(relative);
            if (_open.TryGetValue(key, out var older))
            {
                Close(older);
                StartSeal(older.Relative, older.CommittedLength);
            }

            _open[key] = new PartitionFile(key, relative, handle, length) { CommittedLength = length, LastWriteTicks = Environment.TickCount64, LastUse = SequenceOf(relative) };
            if (_open.Count > _options.MaxOpenFiles)
            {
                // Restart needs no more descriptors than running: the oldest files beyond the bound are sealed.
                CloseLeastRecentlyUsed();
            }
        }

        _openCount = _open.Count;
        VerifyRegions(regions);
        if (_discardedBytes > 0)
        {
            // Normal after a kill mid-batch: those batches were never acknowledged, and their senders resend them.
            OxbowDaemonLog.Warning("store_unacknowledged_data_discarded", "bytes", _discardedBytes, "files_removed", _discardedFiles);
        }

        // A spool from before placements holds the data itself: store it now, once.
        var legacy = false;
        foreach (var batch in batches)
        {
            if (!batch.Placed)
            {
                _ = Place(batch.Data);
                legacy = true;
            }
        }

        if (legacy)
        {
            Flush();
            Committed();
        }
    }

    /// <summary>
    /// Cuts a file back to <paramref name="acknowledged"/> bytes and counts what was cut; returns the length it now has.
    /// A file shorter than that lost acknowledged bytes (the disk or something outside Oxbow): it is never padded,
    /// which would put zeros among the events, but cut to its last whole line (so the next batch starts a line of its
    /// own), said loudly and counted.
    /// </summary>
    private long CutToAcknowledged(SafeFileHandle handle, string relative, long acknowledged)
    {
        var actual = RandomAccess.GetLength(handle);
        if (actual < acknowledged)
        {
            var whole = EndOfLastLine(handle, actual);
            if (whole < actual)
            {
                RandomAccess.SetLength(handle, whole);
            }

            _missingBytes += acknowledged - whole;
            OxbowDaemonLog.Warning("store_file_shorter_than_acknowledged", "path", relative, "length", whole, "acknowledged", acknowledged);
            return whole;
        }

        if (actual > acknowledged)
        {
            _discardedBytes += actual - acknowledged;
            RandomAccess.SetLength(handle, acknowledged);
        }

        return acknowledged;
    }

    /// <summary>
    /// Checks the acknowledged batches that only the spool's records vouch for (those since the last checkpoint)
    /// against their checksums. A mismatch is damage to acknowledged data: there is nothing to repair it from, so it is
    /// kept (a query skips lines that do not parse), logged with where it is, and counted.
    /// </summary>
    private void VerifyRegions(List<PlacedRegion> regions)
    {
        byte[] buffer = [];
        foreach (var file in regions.Where(r => r.Length is not null).GroupBy(r => r.Path, StringComparer.Ordinal))
        {
            // A file sealed since has its bytes in the .gz (under gzip's own CRC) and nothing left here to check.
            var full = FullPath(file.Key);
            if (!File.Exists(full))
            {
                continue;
            }

            using var handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var fileLength = RandomAccess.GetLength(handle);
            foreach (var region in file)
            {
                var length = (int)region.Length!.Value;
                if (region.End > fileLength)
                {
                    continue; // counted as missing already
                }

                if (buffer.Length < length)
                {
                    buffer = new byte[length];
                }

                var start = region.End - length;
                var span = buffer.AsSpan(0, length);
                if (RandomAccess.Read(handle, span, start) != length || Crc32C.Compute(span) != region.Checksum)
                {
                    _corruptBatches++;
                    OxbowDaemonLog.Warning("store_batch_checksum_mismatch", "path", region.Path, "offset", start, "length", length);
                }
            }
        }
    }

    /// <summary>The length of <paramref name="handle"/>'s first <paramref name="length"/> bytes up to and including their last newline.</summary>
    private static long EndOfLastLine(SafeFileHandle handle, long length)
    {
        Span<byte> chunk = stackalloc byte[4096];
        var end = length;
        while (end > 0)
        {
            var start = Math.Max(0, end - chunk.Length);
            var read = chunk[..RandomAccess.Read(handle, chunk[..(int)(end - start)], start)];
            var newline = read.LastIndexOf((byte)'\n');
            if (newline >= 0)
            {
                return start + newline + 1;
            }

            end = start;
        }

        return 0;
    }

    private static long SequenceOf(string relative)
    {
        // <collector-id>-<sequence>.ndjson
        var name = Path.GetFileName(relative.AsSpan());
        var dash = name.LastIndexOf('-');
        var dot = name.IndexOf('.');
        return dash >= 0 && dot > dash && long.TryParse(name[(dash + 1)..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
    }

    private static string KeyOf(string relative)
    {
        var parts = relative.Split('/');
        return $"{parts[0][5..]}/{parts[1][4..]}/{parts[2][5..]}";
    }

    /// <summary>
    /// The collector's id: its name (lower-case letters, digits and <c>_</c>) and 6 random hex digits, made once and
    /// kept. It starts every file name, so files from collectors that share a bucket never collide.
    /// </summary>
    private static string LoadOrCreateId(string path, string name)
    {
        if (File.Exists(path))
        {
            var existing = File.ReadAllText(path).Trim();
            if (existing.Length > 0)
            {
                return existing;
            }
        }

        var cleanName = new string([.. name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').Take(32)]);
        var id = (cleanName.Length > 0 ? cleanName + "_" : "") + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        AtomicFile.Write(path, Encoding.ASCII.GetBytes(id + "\n"));
        return id;
    }

    /// <summary>
    /// What the spool keeps for a placed batch: for each file it went to, the file's length after it and the length
    /// and CRC-32C of the batch's bytes there, as [path length (u16 LE, top bit set), path (UTF-8), end (i64 LE),
    /// length (u32 LE), CRC-32C (u32 LE)], repeated. The spool's own checksum covers the record; this one covers the
    /// data it points to. Records from before the checksum have the top bit clear and end after the end.
    /// </summary>
    private static class PlacementRecord
    {
        private const ushort HasChecksum = 0x8000;

        public static byte[] Write(List<PartitionFile> files)
        {
            var size = 0;
            foreach (var file in files)
            {
                size += 2 + Encoding.UTF8.GetByteCount(file.Relative) + 8 + 4 + 4;
            }

            var record = new byte[size];
            var offset = 0;
            foreach (var file in files)
            {
                var length = Encoding.UTF8.GetBytes(file.Relative, record.AsSpan(offset + 2));
                BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(offset), (ushort)(length | HasChecksum));
                offset += 2 + length;
                BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(offset), file.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(offset + 8), checked((uint)(file.Length - file.BatchStart)));
                BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(offset + 12), file.BatchChecksum);
                offset += 16;
            }

            return record;
        }

        /// <summary>The record's entries; a record that does not parse ends early (its checksum passed, so only a bug gets here).</summary>
        public static List<PlacedRegion> Read(ReadOnlySpan<byte> record)
        {
            List<PlacedRegion> regions = [];
            while (record.Length >= 2)
            {
                var header = BinaryPrimitives.ReadUInt16LittleEndian(record);
                var checksummed = (header & HasChecksum) != 0;
                var length = header & ~HasChecksum;
                var size = 2 + length + 8 + (checksummed ? 8 : 0);
                if (record.Length < size)
                {
                    break;
                }

                var end = BinaryPrimitives.ReadInt64LittleEndian(record[(2 + length)..]);
                regions.Add(checksummed
                    ? new PlacedRegion(Encoding.UTF8.GetString(record.Slice(2, length)), end,
                        BinaryPrimitives.ReadUInt32LittleEndian(record[(2 + length + 8)..]), BinaryPrimitives.ReadUInt32LittleEndian(record[(2 + length + 12)..]))
                    : new PlacedRegion(Encoding.UTF8.GetString(record.Slice(2, length)), end, null, 0));
                record = record[size..];
            }

            return regions;
        }
    }

    /// <summary>One batch's bytes in one file: they end at <paramref name="End"/>; length and CRC-32C when recorded.</summary>
    private readonly record struct PlacedRegion(string Path, long End, uint? Length, uint Checksum);

    private sealed class PartitionFile(string key, string relative, SafeFileHandle handle, long length)
    {
        public string Key { get; } = key;

        public string Relative { get; } = relative;

        /// <summary>Replaced when the file was removed from under the collector and recreated.</summary>
        public SafeFileHandle Handle { get; set; } = handle;

        public long Length { get; set; } = length;

        /// <summary>The length once every batch acknowledged so far is in: what recovery cuts back to.</summary>
        public long CommittedLength { get; set; }

        /// <summary>Where the batch being placed starts in this file (its bytes here are contiguous).</summary>
        public long BatchStart { get; set; }

        /// <summary>The CRC-32C of the batch being placed's bytes in this file, so far.</summary>
        public uint BatchChecksum { get; set; }

        public long LastWriteTicks { get; set; }

        /// <summary>When it was last chosen for an event, on the store's own clock: the least recently used is closed first.</summary>
        public long LastUse { get; set; }
    }
}

/// <summary>Store counters.</summary>
public sealed record StoreStats(long Events, long Bytes, int OpenFiles, long SealedFiles, long UnreadableLines)
{
    /// <summary>Bytes found past the last acknowledged batch at start-up (a kill mid-batch), cut or removed with their files.</summary>
    public long RecoveryDiscardedBytes { get; init; }

    /// <summary>Files created for batches that were never acknowledged, removed at start-up.</summary>
    public long RecoveryDiscardedFiles { get; init; }

    /// <summary>Acknowledged bytes missing from files at start-up: damage from outside; never expected.</summary>
    public long RecoveryMissingBytes { get; init; }

    /// <summary>Acknowledged batches whose bytes no longer match their checksum at start-up: damage; never expected.</summary>
    public long RecoveryCorruptBatches { get; init; }

    /// <summary>Open partition files found removed (or replaced) from outside and recreated, whole, before an acknowledgement.</summary>
    public long FilesRecreated { get; init; }

    /// <summary>Files closed and sealed early to keep the open files within <see cref="MaxOpenFiles"/>.</summary>
    public long FilesClosedByBound { get; init; }

    /// <summary>The bound on open partition files (<see cref="StorageOptions.MaxOpenFiles"/>).</summary>
    public int MaxOpenFiles { get; init; }
}
