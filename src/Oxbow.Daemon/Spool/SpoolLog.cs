using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using Oxbow.IO;
using Oxbow.Transport;

namespace Oxbow.Daemon.Spool;

/// <summary>
/// The durable spool: an append-only log of accepted batches in segment files, with a CRC-32C on every record and
/// a ledger of how far its one consumer (the forwarder or the store) has got.
/// </summary>
/// <remarks>
/// <para>Appends from any thread are gathered by one writer thread, written, and made durable with one fsync for
/// the whole group (group commit); only then do their tasks complete, so a caller acknowledges only what is on
/// disk. A batch id seen before is not written again (<see cref="AppendResult.Duplicate"/>).</para>
/// <para>With an <see cref="IBatchPlacement"/> (the collector's store) the batch data goes there and a record holds
/// only where it went; such segments start <c>OXSPOOL2</c> instead. Nothing is pending then: an acknowledged batch is
/// already stored.</para>
/// <para>Segment file: <c>OXSPOOL1</c>, the segment number (u64 LE), then records. Record: data length + 20
/// (u32 LE), CRC-32C of everything after it (u32 LE), batch id (16 bytes), event count (u32 LE), NDJSON data.
/// On open, a torn or corrupt record ends its segment: it and anything after it in that segment are skipped and
/// counted, the last segment is truncated there, and the daemon starts; it never crash-loops on its own files.</para>
/// <para>A sealed segment is deleted once the consumer has committed a position past its end.</para>
/// </remarks>
internal sealed class SpoolLog : IDisposable
{
    internal const int SegmentHeaderLength = 16;
    internal const int RecordHeadLength = 28;
    private static ReadOnlySpan<byte> DataMagic => "OXSPOOL1"u8;
    private static ReadOnlySpan<byte> PlacedMagic => "OXSPOOL2"u8;
    private const string LedgerName = "ledger.json";
    private const long RecentMaxBytes = 32L << 20;

    private readonly SpoolOptions _options;
    private readonly IBatchPlacement? _placement;
    private readonly object _state = new();
    private readonly List<Segment> _segments = [];
    private readonly DedupWindow _dedup;
    private readonly object _queueLock = new();
    private List<PendingAppend> _queue = [];
    private List<PendingAppend> _spare = [];
    private readonly Thread _writer;
    private readonly SemaphoreSlim _dataAvailable = new(0, 1);
    private Segment _active;
    private SafeFileHandle _activeHandle;
    private SpoolPosition _durableEnd;
    private SpoolPosition _done;
    private long _pendingEvents;
    private long _pendingRecords;
    private long _totalBytes;
    private bool _stopping;
    private SafeFileHandle? _readHandle;
    private long _readSegment = -1;

    // Records made durable recently, kept in memory so a consumer that keeps up reads them without a read syscall
    // and a second checksum pass. Each holds a copy of its data (the caller's memory is the caller's again once the
    // append completes). Bounded by bytes: once full, newer records are not kept, so a consumer that is behind (an
    // upstream that is down) costs no memory per batch; it reads the files instead.
    private readonly Queue<SpoolRecord> _recent = new();
    private long _recentBytes;

    // Written since the last fsync, in order, all in the active segment. Only the writer thread touches it.
    private readonly List<(PendingAppend Pending, SpoolRecord Record)> _unsynced = [];

    private long _appended;
    private long _appendedEvents;
    private long _duplicates;
    private long _fullRejects;
    private long _failedAppends;
    private AppendResult _failure = AppendResult.Failed; // what the appends of a failing group are told
    private bool _diskFull; // logged once when the disk fills and once when a write succeeds again
    private long _droppedEvents;
    private long _droppedRecords;

    private SpoolLog(SpoolOptions options, IBatchPlacement? placement)
    {
        _options = options;
        _placement = placement;
        Directory.CreateDirectory(options.Directory);
        _dedup = new DedupWindow(System.IO.Path.Combine(options.Directory, "recent-batches"), options.DedupWindow);
        (_done, ConsumerState) = ReadLedger();
        var recovered = Recover();
        placement?.Recover(ConsumerState, recovered);
        // The new segment's number is past every segment on disk and past the committed position: reusing the number
        // of a segment that recovery just deleted as done would make the committed offset point into the new
        // segment's records, and the consumer would skip them.
        var lastNumber = Math.Max(_segments.Count == 0 ? 0 : _segments[^1].Number, _done.Segment);
        (_active, _activeHandle) = CreateSegment(lastNumber + 1);
        _durableEnd = new SpoolPosition(_active.Number, _active.Length);
        if (_done < new SpoolPosition(_segments[0].Number, SegmentHeaderLength))
        {
            _done = new SpoolPosition(_segments[0].Number, SegmentHeaderLength);
        }

        if (placement is not null)
        {
            // The placement now holds everything recovered: commit past it, so the old segments go.
            _pendingRecords = _pendingEvents = 0;
            Commit(_durableEnd, 0, 0, placement.WriteState);
        }

        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "oxbow-spool" };
        _writer.Start();
    }

    /// <summary>
    /// Opens (and recovers) the spool in <see cref="SpoolOptions.Directory"/>; with a <paramref name="placement"/>, batch
    /// data is written there and the spool keeps only where it went.
    /// </summary>
    public static SpoolLog Open(SpoolOptions options, IBatchPlacement? placement = null) => new(options, placement);

    /// <summary>The end of what is durable: every record before it is on disk (and placed, with a placement).</summary>
    public SpoolPosition DurableEnd
    {
        get
        {
            lock (_state)
            {
                return _durableEnd;
            }
        }
    }

    /// <summary>The consumer's state saved with the last <see cref="Commit"/>, or null on a new spool.</summary>
    public JsonElement? ConsumerState { get; }

    /// <summary>Where the consumer had committed to; reading starts here after a restart.</summary>
    public SpoolPosition CommittedPosition { get; private set; }

    /// <summary>Records found torn or corrupt (on open, or unreadable later) and skipped.</summary>
    public long SkippedRecords { get; private set; }

    /// <summary>Bytes skipped with them.</summary>
    public long SkippedBytes { get; private set; }

    /// <summary>Counters and depth, for stats.</summary>
    public SpoolStats Stats
    {
        get
        {
            lock (_state)
            {
                return new SpoolStats(_pendingRecords, _pendingEvents, _totalBytes, _segments.Count,
                    Interlocked.Read(ref _appended), Interlocked.Read(ref _appendedEvents), Interlocked.Read(ref _duplicates),
                    Interlocked.Read(ref _fullRejects), Interlocked.Read(ref _failedAppends), _droppedRecords, _droppedEvents,
                    SkippedRecords, SkippedBytes, _options.MaxBytes);
            }
        }
    }

    /// <summary>
    /// Appends a batch and completes once it is durable. <paramref name="data"/> must never change afterwards: the
    /// spool hands the same memory to its consumer.
    /// Never throws for I/O problems: they come back as <see cref="AppendResult.Failed"/>.
    /// </summary>
    public Task<AppendResult> AppendAsync(BatchId id, int eventCount, ReadOnlyMemory<byte> data)
    {
        var pending = new PendingAppend(id, eventCount, data);
        lock (_queueLock)
        {
            if (_stopping)
            {
                return Task.FromResult(AppendResult.Failed);
            }

            _queue.Add(pending);
            if (_queue.Count == 1)
            {
                Monitor.Pulse(_queueLock);
            }
        }

        return pending.Completion.Task;
    }

    /// <summary>Waits until a record may be readable, or the timeout passes.</summary>
    public Task WaitForDataAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        _dataAvailable.WaitAsync(timeout, cancellationToken);

    /// <summary>
    /// Reads the durable record at <paramref name="position"/>, moving past ends of segments and segments that were
    /// dropped. Returns null when nothing more is durable yet. For the single consumer only.
    /// </summary>
    public SpoolRecord? TryRead(ref SpoolPosition position)
    {
        while (true)
        {
            Segment? segment = null;
            long limit;
            lock (_state)
            {
                foreach (var candidate in _segments)
                {
                    if (candidate.Number >= position.Segment)
                    {
                        segment = candidate;
                        break;
                    }
                }

                if (segment is null)
                {
                    return null;
                }

                if (segment.Number != position.Segment || position.Offset < SegmentHeaderLength)
                {
                    position = new SpoolPosition(segment.Number, SegmentHeaderLength);
                }

                limit = segment == _active ? _durableEnd.Offset : segment.Length;
                if (position.Offset >= limit)
                {
                    if (segment == _active)
                    {
                        return null;
                    }

                    position = new SpoolPosition(segment.Number + 1, SegmentHeaderLength);
                    continue;
                }

                while (_recent.TryPeek(out var recent) && recent.Position < position)
                {
                    _recentBytes -= recent.Data.Length;
                    _recent.Dequeue();
                }

                if (_recent.TryPeek(out var cached) && cached.Position == position)
                {
                    _recentBytes -= cached.Data.Length;
                    _recent.Dequeue();
                    position = cached.Next;
                    return cached;
                }
            }

            var record = ReadRecord(segment, position, limit);
            if (record is not null)
            {
                position = record.Next;
                return record;
            }

            // Unreadable: dropped while we read (drop-oldest), or damaged since it was written. Damage is counted
            // and said out loud, then the consumer goes on with the next segment rather than stopping for good.
            lock (_state)
            {
                if (_segments.Contains(segment))
                {
                    SkippedRecords++;
                    SkippedBytes += limit - position.Offset;
                    OxbowDaemonLog.Warning("spool_unreadable_record", "segment", segment.Number, "offset", position.Offset, "bytes", limit - position.Offset);
                }
            }

            position = new SpoolPosition(segment.Number + 1, SegmentHeaderLength);
        }
    }

    /// <summary>
    /// Marks everything before <paramref name="done"/> as delivered or stored, saves it and
    /// <paramref name="consumerState"/> in the ledger, and deletes segments that are wholly done.
    /// </summary>
    public void Commit(SpoolPosition done, long doneRecords, long doneEvents, Action<Utf8JsonWriter>? consumerState = null)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("segment", done.Segment);
            json.WriteNumber("offset", done.Offset);
            if (consumerState is not null)
            {
                json.WritePropertyName("consumer");
                consumerState(json);
            }

            json.WriteEndObject();
        }

        AtomicFile.Write(System.IO.Path.Combine(_options.Directory, LedgerName), buffer.WrittenSpan);
        List<Segment> finished = [];
        lock (_state)
        {
            if (done > _done)
            {
                _done = done;
                _pendingRecords = Math.Max(0, _pendingRecords - doneRecords);
                _pendingEvents = Math.Max(0, _pendingEvents - doneEvents);
            }

            CommittedPosition = _done;
            foreach (var segment in _segments)
            {
                var wholeDone = segment.Number < _done.Segment || (segment.Number == _done.Segment && _done.Offset >= segment.Length);
                if (segment != _active && wholeDone)
                {
                    finished.Add(segment);
                }
            }
        }

        foreach (var segment in finished)
        {
            Delete(segment, countAsDropped: false);
        }
    }

    /// <summary>Stops the writer after the queued appends are durable, and closes the files.</summary>
    public void Dispose()
    {
        lock (_queueLock)
        {
            _stopping = true;
            Monitor.Pulse(_queueLock);
        }

        _writer.Join();
        _activeHandle.Dispose();
        _readHandle?.Dispose();
        _dataAvailable.Dispose();
    }

    private void WriteLoop()
    {
        List<ReadOnlyMemory<byte>> gather = new(2);
        while (true)
        {
            List<PendingAppend> group;
            lock (_queueLock)
            {
                while (_queue.Count == 0 && !_stopping)
                {
                    Monitor.Wait(_queueLock);
                }

                if (_queue.Count == 0)
                {
                    return;
                }

                group = _queue;
                _queue = _spare;
                _spare = group;
            }

            WriteGroup(group, gather);
            group.Clear();
        }
    }

    private void WriteGroup(List<PendingAppend> group, List<ReadOnlyMemory<byte>> gather)
    {
        foreach (var pending in group)
        {
            if (_dedup.Contains(pending.Id))
            {
                pending.Result = AppendResult.Duplicate;
                continue;
            }

            var payload = pending.Data;
            if (_placement is not null)
            {
                try
                {
                    payload = _placement.Place(pending.Data);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    Failed("store_write_failed", ex);
                    FailUnsynced(group);
                    return;
                }
            }

            var size = RecordHeadLength + (long)payload.Length;
            // With a placement the records are small and the placement's disk is not the spool's to bound.
            if (_placement is null && !MakeRoom(size))
            {
                pending.Result = AppendResult.Full;
                Interlocked.Increment(ref _fullRejects);
                continue;
            }

            if (_active.Length + size > _options.EffectiveSegmentBytes && _active.Records.Count > 0)
            {
                // Everything written to the old segment so far becomes durable before it is sealed.
                if (!Sync(group))
                {
                    return;
                }

                Roll();
            }

            var head = new byte[RecordHeadLength];
            BinaryPrimitives.WriteInt32LittleEndian(head, payload.Length + 20);
            pending.Id.Write(head.AsSpan(8));
            BinaryPrimitives.WriteInt32LittleEndian(head.AsSpan(24), pending.EventCount);
            var crc = Crc32C.Append(Crc32C.Compute(head.AsSpan(8)), payload.Span);
            BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(4), crc);
            gather.Clear();
            gather.Add(head);
            gather.Add(payload);
            try
            {
                RandomAccess.Write(_activeHandle, gather, _active.Length);
            }
            catch (IOException ex)
            {
                Failed("spool_write_failed", ex);
                if (_placement is not null)
                {
                    // This batch is placed already, and undoing one placement means undoing all since the last sync.
                    FailUnsynced(group);
                    return;
                }

                pending.Result = _failure;
                Interlocked.Increment(ref _failedAppends);
                TryTruncate(_active.Length);
                continue;
            }

            _unsynced.Add((pending, new SpoolRecord(new SpoolPosition(_active.Number, _active.Length),
                new SpoolPosition(_active.Number, _active.Length + size), pending.Id, pending.EventCount, payload)));
            lock (_state)
            {
                _active.Records.Add(new RecordInfo(_active.Length, pending.EventCount, pending.Id));
                _active.Length += size;
                _totalBytes += size;
            }

            _dedup.Add(pending.Id);
            pending.Result = AppendResult.Durable;
        }

        if (!Sync(group))
        {
            return;
        }

        // Durable ones were completed by Sync; a duplicate is answered only now, after any earlier copy in this group
        // is durable too.
        foreach (var pending in group)
        {
            if (pending.Result == AppendResult.Duplicate)
            {
                Interlocked.Increment(ref _duplicates);
            }

            pending.Completion.TrySetResult(pending.Result);
        }
    }

    /// <summary>
    /// fsyncs the records written since the last sync (<see cref="_unsynced"/>), then publishes them to the
    /// consumer and completes their appends. On failure they are cut off again, their ids forgotten, and every append
    /// of the group not yet completed fails.
    /// </summary>
    private bool Sync(List<PendingAppend> group)
    {
        if (_unsynced.Count == 0)
        {
            return true;
        }

        try
        {
            // The data before the records that say where it is.
            _placement?.Flush();
            RandomAccess.FlushToDisk(_activeHandle);
        }
        catch (IOException ex)
        {
            Failed("spool_sync_failed", ex);
            FailUnsynced(group);
            return false;
        }

        if (_diskFull)
        {
            _diskFull = false;
            _failure = AppendResult.Failed;
            OxbowDaemonLog.Info("disk_space_available", "effect", "batches are accepted again");
        }

        _placement?.Committed();
        lock (_state)
        {
            foreach (var (_, record) in _unsynced)
            {
                if (_placement is not null)
                {
                    continue; // stored already: nothing pending, nothing for a consumer to read
                }

                _pendingRecords++;
                _pendingEvents += record.EventCount;
                if (_recentBytes + record.Data.Length <= RecentMaxBytes)
                {
                    _recent.Enqueue(record with { Data = record.Data.ToArray() });
                    _recentBytes += record.Data.Length;
                }
            }

            _durableEnd = new SpoolPosition(_active.Number, _active.Length);
        }

        foreach (var (pending, record) in _unsynced)
        {
            Interlocked.Increment(ref _appended);
            Interlocked.Add(ref _appendedEvents, record.EventCount);
            pending.Completion.TrySetResult(AppendResult.Durable);
        }

        _unsynced.Clear();
        if (_dataAvailable.CurrentCount == 0)
        {
            try
            {
                _dataAvailable.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another release got there first; one wake-up is enough.
            }
        }

        return true;
    }

    /// <summary>
    /// Cuts off the records written since the last sync, undoes their placements, forgets their ids, and fails every
    /// append of the group not yet completed.
    /// </summary>
    private void FailUnsynced(List<PendingAppend> group)
    {
        if (_unsynced.Count > 0)
        {
            lock (_state)
            {
                var start = _unsynced[0].Record.Position.Offset;
                _totalBytes -= _active.Length - start;
                _active.Length = start;
                _active.Records.RemoveRange(_active.Records.Count - _unsynced.Count, _unsynced.Count);
            }

            TryTruncate(_active.Length);
        }

        _placement?.Rollback();
        foreach (var (pending, _) in _unsynced)
        {
            _dedup.Remove(pending.Id);
        }

        _unsynced.Clear();
        foreach (var pending in group)
        {
            // Counted before the caller resumes, so stats agree with what it was told. Only this thread completes
            // appends, so a completed one stays skipped.
            if (pending.Completion.Task.IsCompleted)
            {
                continue;
            }

            if (pending.Result is not (AppendResult.Failed or AppendResult.DiskFull))
            {
                Interlocked.Increment(ref _failedAppends);
            }

            pending.Completion.TrySetResult(_failure);
        }
    }

    /// <summary>
    /// Says why a write failed. A full disk is a state, not an event: it is logged once when it starts (and once
    /// when a write succeeds again), without a stack trace, and its batches are told <see cref="AppendResult.DiskFull"/>.
    /// Any other failure is logged each time, with its trace.
    /// </summary>
    private void Failed(string what, Exception ex)
    {
        if (DiskErrors.IsDiskFull(ex))
        {
            _failure = AppendResult.DiskFull;
            if (!_diskFull)
            {
                _diskFull = true;
                OxbowDaemonLog.Warning("disk_full", "directory", _options.Directory, "while", what, "effect", "batches are refused as disk_full (retryable) until space is freed");
            }

            return;
        }

        _failure = AppendResult.Failed;
        OxbowDaemonLog.Error(what, ex);
    }

    private bool MakeRoom(long size)
    {
        while (true)
        {
            Segment? oldest;
            lock (_state)
            {
                if (_totalBytes + size <= _options.MaxBytes)
                {
                    return true;
                }

                if (_options.FullPolicy == SpoolFullPolicy.Backpressure)
                {
                    return false;
                }

                oldest = _segments.Count > 1 ? _segments[0] : null;
            }

            if (oldest is null)
            {
                return false;
            }

            Delete(oldest, countAsDropped: true);
        }
    }

    private void Delete(Segment segment, bool countAsDropped)
    {
        lock (_state)
        {
            if (!_segments.Remove(segment))
            {
                return;
            }

            _totalBytes -= segment.Length;
            if (countAsDropped)
            {
                foreach (var record in segment.Records)
                {
                    if (new SpoolPosition(segment.Number, record.Offset) >= _done)
                    {
                        _droppedRecords++;
                        _droppedEvents += record.Events;
                        _pendingRecords--;
                        _pendingEvents -= record.Events;
                    }
                }

                if (_done.Segment <= segment.Number)
                {
                    _done = new SpoolPosition(segment.Number + 1, SegmentHeaderLength);
                }
            }
        }

        if (countAsDropped)
        {
            OxbowDaemonLog.Warning("spool_dropped_oldest", "segment", segment.Number, "events", segment.Records.Sum(r => (long)r.Events));
        }

        try
        {
            _dedup.Persist(segment.Records.Select(r => r.Id).ToArray());
            File.Delete(segment.Path);
        }
        catch (IOException ex)
        {
            OxbowDaemonLog.Error("spool_delete_failed", ex);
        }
    }

    private void Roll()
    {
        var (next, handle) = CreateSegment(_active.Number + 1);
        lock (_state)
        {
            _active.Sealed = true;
            _activeHandle.Dispose();
            _active = next;
            _activeHandle = handle;
            _durableEnd = new SpoolPosition(next.Number, next.Length);
        }
    }

    private (Segment, SafeFileHandle) CreateSegment(long number)
    {
        var segment = new Segment(number, SegmentPath(number)) { Length = SegmentHeaderLength, Placed = _placement is not null };
        var handle = File.OpenHandle(segment.Path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        Span<byte> header = stackalloc byte[SegmentHeaderLength];
        (segment.Placed ? PlacedMagic : DataMagic).CopyTo(header);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], number);
        RandomAccess.Write(handle, header, 0);
        RandomAccess.FlushToDisk(handle);
        lock (_state)
        {
            _segments.Add(segment);
            _totalBytes += SegmentHeaderLength;
        }

        return (segment, handle);
    }

    private string SegmentPath(long number) =>
        System.IO.Path.Combine(_options.Directory, number.ToString("D20", CultureInfo.InvariantCulture) + ".seg");

    private void TryTruncate(long length)
    {
        try
        {
            RandomAccess.SetLength(_activeHandle, length);
        }
        catch (IOException)
        {
            // The next record overwrites from the recorded length anyway; recovery truncates whatever is left.
        }
    }

    private SpoolRecord? ReadRecord(Segment segment, SpoolPosition position, long limit)
    {
        try
        {
            if (_readSegment != segment.Number)
            {
                _readHandle?.Dispose();
                _readHandle = File.OpenHandle(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                _readSegment = segment.Number;
            }

            return ReadRecordAt(_readHandle!, segment.Number, position.Offset, limit);
        }
        catch (IOException)
        {
            _readHandle?.Dispose();
            _readHandle = null;
            _readSegment = -1;
            return null;
        }
    }

    /// <summary>Reads and checks one record; null when it is torn, corrupt or runs past <paramref name="limit"/>.</summary>
    private static SpoolRecord? ReadRecordAt(SafeFileHandle handle, long segment, long offset, long limit)
    {
        if (offset + RecordHeadLength > limit)
        {
            return null;
        }

        Span<byte> head = stackalloc byte[RecordHeadLength];
        if (RandomAccess.Read(handle, head, offset) < RecordHeadLength)
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(head);
        if (length < 20 || offset + 8 + (long)length > limit)
        {
            return null;
        }

        var data = new byte[length - 20];
        if (RandomAccess.Read(handle, data, offset + RecordHeadLength) < data.Length)
        {
            return null;
        }

        var crc = Crc32C.Append(Crc32C.Compute(head[8..]), data);
        if (crc != BinaryPrimitives.ReadUInt32LittleEndian(head[4..]))
        {
            return null;
        }

        var next = offset + 8 + length;
        return new SpoolRecord(new SpoolPosition(segment, offset), new SpoolPosition(segment, next),
            BatchId.Read(head[8..]), BinaryPrimitives.ReadInt32LittleEndian(head[24..]), data);
    }

    private (SpoolPosition, JsonElement?) ReadLedger()
    {
        var path = System.IO.Path.Combine(_options.Directory, LedgerName);
        if (!File.Exists(path))
        {
            return (default, null);
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            var position = new SpoolPosition(root.GetProperty("segment").GetInt64(), root.GetProperty("offset").GetInt64());
            CommittedPosition = position;
            return (position, root.TryGetProperty("consumer", out var consumer) ? consumer.Clone() : null);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            // The ledger is replaced atomically, so this is damage from outside. Replaying from the start is safe:
            // upstreams drop duplicate batches.
            OxbowDaemonLog.Error("spool_ledger_unreadable", ex);
            return (default, null);
        }
    }

    private List<RecoveredBatch> Recover()
    {
        List<RecoveredBatch> recovered = [];
        Span<byte> magic = stackalloc byte[8];
        var files = Directory.EnumerateFiles(_options.Directory, "*.seg")
            .Select(path => (Path: path, Number: long.TryParse(System.IO.Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1))
            .Where(f => f.Number > 0)
            .OrderBy(f => f.Number)
            .ToList();
        for (var i = 0; i < files.Count; i++)
        {
            var segment = new Segment(files[i].Number, files[i].Path) { Sealed = true };
            using (var handle = File.OpenHandle(segment.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read))
            {
                var fileLength = RandomAccess.GetLength(handle);
                segment.Placed = RandomAccess.Read(handle, magic, 0) == magic.Length && magic.SequenceEqual(PlacedMagic);
                long offset = SegmentHeaderLength;
                if (fileLength < SegmentHeaderLength)
                {
                    offset = fileLength;
                }

                while (offset < fileLength)
                {
                    var record = ReadRecordAt(handle, segment.Number, offset, fileLength);
                    if (record is null)
                    {
                        // A torn tail (killed mid-write) or damage: skip the rest of this segment, count it, carry on.
                        SkippedRecords++;
                        SkippedBytes += fileLength - offset;
                        OxbowDaemonLog.Warning("spool_tail_skipped", "segment", segment.Number, "offset", offset, "bytes", fileLength - offset);
                        RandomAccess.SetLength(handle, offset);
                        break;
                    }

                    segment.Records.Add(new RecordInfo(offset, record.EventCount, record.BatchId));
                    _dedup.Add(record.BatchId);
                    if (record.Position >= _done)
                    {
                        _pendingRecords++;
                        _pendingEvents += record.EventCount;
                        if (_placement is not null)
                        {
                            recovered.Add(new RecoveredBatch(segment.Placed, record.Data));
                        }
                        else if (segment.Placed)
                        {
                            // Written by a collector: it says where data went, and there is nothing to forward.
                            _pendingRecords--;
                            _pendingEvents -= record.EventCount;
                            SkippedRecords++;
                            SkippedBytes += record.Next.Offset - offset;
                        }
                    }

                    offset = record.Next.Offset;
                }

                segment.Length = Math.Max(offset, SegmentHeaderLength);
            }

            _segments.Add(segment);
            _totalBytes += segment.Length;
        }

        // Segments wholly before the committed position are already done; a collector's segments, opened by an agent,
        // hold nothing to deliver (their records were counted as skipped above).
        foreach (var segment in _segments.ToArray())
        {
            if (segment.Number < _done.Segment || (segment.Number == _done.Segment && _done.Offset >= segment.Length)
                || (_placement is null && segment.Placed))
            {
                Delete(segment, countAsDropped: false);
            }
        }

        return recovered;
    }

    private sealed class Segment(long number, string path)
    {
        public long Number { get; } = number;

        public string Path { get; } = path;

        public long Length { get; set; }

        public bool Sealed { get; set; }

        /// <summary>Its records say where a placement put the data (<c>OXSPOOL2</c>) rather than hold it.</summary>
        public bool Placed { get; set; }

        public List<RecordInfo> Records { get; } = [];
    }

    private readonly record struct RecordInfo(long Offset, int Events, BatchId Id);

    private sealed class PendingAppend(BatchId id, int eventCount, ReadOnlyMemory<byte> data)
    {
        public BatchId Id { get; } = id;

        public int EventCount { get; } = eventCount;

        public ReadOnlyMemory<byte> Data { get; } = data;

        public AppendResult Result { get; set; }

        public TaskCompletionSource<AppendResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>Spool depth and counters.</summary>
internal sealed record SpoolStats(
    long PendingRecords,
    long PendingEvents,
    long Bytes,
    int Segments,
    long AppendedBatches,
    long AppendedEvents,
    long DuplicateBatches,
    long FullRejects,
    long FailedAppends,
    long DroppedBatches,
    long DroppedEvents,
    long SkippedRecords,
    long SkippedBytes,
    long MaxBytes);
