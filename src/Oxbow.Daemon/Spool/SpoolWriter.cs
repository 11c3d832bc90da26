using Oxbow.Daemon.Spool.Format;
using Oxbow.Store.Files;
using Oxbow.Store.Partitions;

namespace Oxbow.Daemon.Spool;

/// <summary>
/// The spool's group commit: writes a group of appends to the active segment, makes them durable with one fsync, and
/// only then tells their senders. Runs on one thread (the spool's writer, or a test driving it step by step).
/// </summary>
/// <remarks>
/// <para><b>When a batch counts as stored.</b> Its bytes are written (into the segment, or by the placement), the
/// placement's files are flushed, and only then is its record written and the segment holding it flushed; only after
/// that fsync does the sender hear <see cref="AppendResult.Durable"/>. So a record on disk always vouches for bytes
/// that are on disk. This is the one place that decides it (<see cref="Sync"/>).</para>
/// <para>On any failure the records written since the last fsync are cut off again, their placements undone, and their
/// appends refused, so the senders retry: nothing is acknowledged that is not on disk, and nothing refused stays.</para>
/// </remarks>
internal sealed partial class SpoolWriter : IDisposable
{
    private readonly IDurableFileSystem _files;
    private readonly SpoolOptions _options;
    private readonly IBatchPlacement? _placement; // reached only through sessions
    private PlacementSession? _session; // the batches placed since the last fsync
    private readonly SpoolState _state;
    private readonly DedupWindow _dedup;
    private readonly Action _durable;
    private readonly List<ReadOnlyMemory<byte>> _gather = new(2);

    // With a placement, the records of a group wait here until the placement's data is flushed: a record that reached
    // the disk before its data could outlive a power cut that the data did not (the kernel writes pages back in any
    // order), and would then vouch for bytes that are not there. The model test found exactly that.
    private readonly List<ReadOnlyMemory<byte>> _deferred = [];
    private long _deferredAt;
    private long _deferredBytes;

    // Written since the last fsync, in order, all in the active segment.
    private readonly List<(PendingAppend Pending, SpoolRecord Record)> _unsynced = [];
    private IDurableFile _active;
    private AppendResult _failure = AppendResult.Failed; // what the appends of a failing group are told
    private bool _diskFull; // logged once when the disk fills and once when a write succeeds again


    /// <summary>Starts a new active segment numbered <paramref name="number"/>; <paramref name="durable"/> is called whenever records became readable.</summary>
    public SpoolWriter(IDurableFileSystem files, SpoolOptions options, IBatchPlacement? placement, SpoolState state, DedupWindow dedup, long number, Action durable)
    {
        _files = files;
        _options = options;
        _placement = placement;
        _state = state;
        _dedup = dedup;
        _durable = durable;
        _active = CreateSegment(number);
    }

    /// <summary>What this writer did so far.</summary>
    public SpoolWriteCounters Counters { get; } = new();

    /// <summary>Writes <paramref name="group"/>, makes it durable, and completes every append in it.</summary>
    public void Write(List<PendingAppend> group)
    {
        foreach (var pending in group)
        {
            if (_dedup.Contains(pending.Id))
            {
                pending.Result = AppendResult.Duplicate;
                continue;
            }

            var payload = pending.Data;
            var segment = _state.Active;
            if (_placement is not null)
            {
                // The roll is decided before placing: a placed batch must become stored with its own record, never
                // by the sync a roll makes before that record is written (so a segment may end one small record past
                // its size).
                if (segment.Length >= _options.EffectiveSegmentBytes && segment.Records.Count > 0)
                {
                    if (!Sync(group) || !Roll(group))
                    {
                        return;
                    }

                    segment = _state.Active;
                }

                try
                {
                    payload = (_session ??= new PlacementSession(_placement)).Place(pending.Data);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    Failed("store_write_failed", ex);
                    FailUnsynced(group);
                    return;
                }
            }

            var size = SpoolRecordFormat.Size(payload.Length);
            var roll = _placement is null && segment.Length + size > _options.EffectiveSegmentBytes && segment.Records.Count > 0;

            // With a placement the records are small and the placement's disk is not the spool's to bound. Room is kept
            // for the header of a roll, and for one more: the segment a restart starts stays within the bound too.
            if (_placement is null && !MakeRoom(size + ((roll ? 2 : 1) * SpoolSegmentFormat.HeaderLength)))
            {
                pending.Result = AppendResult.Full;
                Counters.Full();
                continue;
            }

            if (roll)
            {
                // Everything written to the old segment so far becomes durable before it is sealed.
                if (!Sync(group) || !Roll(group))
                {
                    return;
                }

                segment = _state.Active;
            }

            var head = new byte[SpoolRecordFormat.HeadLength];
            SpoolRecordFormat.EncodeHead(head, pending.Id, pending.EventCount, payload.Span);
            try
            {
                if (_placement is not null)
                {
                    if (_deferred.Count == 0)
                    {
                        _deferredAt = segment.Length;
                    }

                    _deferred.Add(head);
                    _deferred.Add(payload);
                    _deferredBytes += size;
                }
                else
                {
                    _gather.Clear();
                    _gather.Add(head);
                    _gather.Add(payload);
                    _active.Write(_gather, segment.Length);
                    Counters.Written(size);
                }
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
                Counters.Failed();
                TryTruncate(segment.Length);
                continue;
            }

            _unsynced.Add((pending, new SpoolRecord(new SpoolPosition(segment.Number, segment.Length),
                new SpoolPosition(segment.Number, segment.Length + size), pending.Id, pending.EventCount, payload)));
            lock (_state.Gate)
            {
                segment.Records.Add(new SpoolRecordInfo(segment.Length, pending.EventCount, pending.Id));
                segment.Length += size;
                _state.TotalBytes += size;
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
                Counters.Duplicate();
            }

            pending.Completion.TrySetResult(pending.Result);
        }
    }

    /// <summary>
    /// The moment records count as stored: the placement's data is flushed, then the segment holding the records that
    /// say where it is; then they are published to the consumer and their appends complete. On failure they are cut
    /// off again, their ids forgotten, and every append of the group not yet completed fails.
    /// </summary>
    private bool Sync(List<PendingAppend> group)
    {
        if (_unsynced.Count == 0)
        {
            return true;
        }

        FlushedPlacement? placed;
        try
        {
            placed = _session?.Flush();
            if (_deferred.Count > 0)
            {
                _active.Write(_deferred, _deferredAt);
                Counters.Written(_deferredBytes);
                _deferred.Clear();
                _deferredBytes = 0;
            }

            _active.Flush();
            Counters.Synced(1);
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

        // Both fsyncs are done: from here the batches count as stored.
        placed?.Commit();
        _session = null;
        lock (_state.Gate)
        {
            foreach (var (_, record) in _unsynced)
            {
                if (_placement is not null)
                {
                    continue; // stored already: nothing pending, nothing for a consumer to read
                }

                _state.PendingRecords++;
                _state.PendingEvents += record.EventCount;
                _state.Recent.Add(record);
            }

            _state.DurableEnd = new SpoolPosition(_state.Active.Number, _state.Active.Length);
        }

        foreach (var (pending, record) in _unsynced)
        {
            Counters.Acknowledged(record.EventCount, pending.Data.Length);
            pending.Completion.TrySetResult(AppendResult.Durable);
        }

        _unsynced.Clear();
        _durable();
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
            long length;
            lock (_state.Gate)
            {
                var active = _state.Active;
                var start = _unsynced[0].Record.Position.Offset;
                _state.TotalBytes -= active.Length - start;
                active.Length = start;
                active.Records.RemoveRange(active.Records.Count - _unsynced.Count, _unsynced.Count);
                length = active.Length;
            }

            TryTruncate(length);
        }

        _session?.Rollback();
        _session = null;
        _deferred.Clear();
        _deferredBytes = 0;
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

            if (pending.Result == AppendResult.Full)
            {
                // Refused for room and counted so before the failure: that answer stands (the model test found it
                // turned into a failure, counted twice).
                pending.Completion.TrySetResult(AppendResult.Full);
                continue;
            }

            if (pending.Result is not (AppendResult.Failed or AppendResult.DiskFull))
            {
                Counters.Failed();
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

    public void Dispose() => _active.Dispose();
}
