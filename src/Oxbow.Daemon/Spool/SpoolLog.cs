using System.Diagnostics;
using System.Text.Json;
using Oxbow.Daemon.Spool.Format;
using Oxbow.Store.Files;
using Oxbow.Store.Partitions;
using Oxbow.Transport;

namespace Oxbow.Daemon.Spool;

/// <summary>
/// The durable spool: an append-only log of accepted batches in segment files, with a CRC-32C on every record and
/// a ledger of how far its one consumer (the forwarder or the store) has got.
/// </summary>
/// <remarks>
/// <para>Its parts: the record and segment formats (<c>Format/</c>), the group-commit <see cref="SpoolWriter"/> on its
/// own thread, the consumer's <see cref="SpoolReader"/>, the <see cref="SpoolLedger"/>, and <see cref="SpoolRecovery"/>,
/// which plans a restart from what is on disk. This class opens them in order and hands work between them. Every file
/// operation goes through an <see cref="IDurableFileSystem"/>, which the model test replaces with one that crashes.</para>
/// <para>Appends from any thread are gathered by the writer, written, and made durable with one fsync for the whole
/// group; only then do their tasks complete, so a caller acknowledges only what is on disk. A batch id seen before is
/// not written again (<see cref="AppendResult.Duplicate"/>).</para>
/// <para>With an <see cref="IBatchPlacement"/> (the collector's store) the batch data goes there and a record holds
/// only where it went. Nothing is pending then: an acknowledged batch is already stored.</para>
/// <para>On open, a torn or corrupt record ends its segment: it and anything after it in that segment are cut off and
/// counted, and the daemon starts; it never crash-loops on its own files. A segment is deleted once the consumer has
/// committed a position past its end.</para>
/// </remarks>
internal sealed class SpoolLog : IDisposable, IPlacementLedger
{
    private readonly SpoolOptions _options;
    private readonly IDurableFileSystem _files;
    private readonly SpoolLedger _ledger;
    private readonly SpoolState _state;
    private readonly SpoolWriter _writer;
    private readonly SpoolReader _reader;
    private readonly object _queueLock = new();
    private List<PendingAppend> _queue = [];
    private List<PendingAppend> _spare = [];
    private readonly Thread? _writerThread;
    private readonly SemaphoreSlim _dataAvailable = new(0, 1);
    private bool _stopping;

    private SpoolLog(SpoolOptions options, IBatchPlacement? placement, IDurableFileSystem files, bool startWriter)
    {
        var clock = Stopwatch.StartNew();
        _options = options;
        _files = files;
        files.CreateDirectory(options.Directory);
        var dedup = new DedupWindow(files, Path.Combine(options.Directory, "recent-batches"), options.DedupWindow);
        _ledger = new SpoolLedger(files, options.Directory);
        (var done, ConsumerState) = _ledger.Read();
        CommittedPosition = done;
        _state = new SpoolState(files, dedup) { Done = done };
        var (recovered, lastNumber) = Recover(placement is not null, dedup);
        placement?.Recover(ConsumerState, recovered);

        // The new segment's number is past every segment on disk and past the committed position: reusing the number
        // of a segment that recovery just deleted as done would make the committed offset point into the new
        // segment's records, and the consumer would skip them.
        _writer = new SpoolWriter(files, options, placement, _state, dedup, Math.Max(lastNumber, done.Segment) + 1, SignalData);
        _reader = new SpoolReader(files, _state);
        lock (_state.Gate)
        {
            var first = new SpoolPosition(_state.Segments[0].Number, SpoolSegmentFormat.HeaderLength);
            if (_state.Done < first)
            {
                _state.Done = first;
            }
        }

        if (placement is not null)
        {
            // The placement now holds everything recovered: commit past it, so the old segments go.
            lock (_state.Gate)
            {
                _state.PendingRecords = _state.PendingEvents = 0;
            }

            Commit(DurableEnd, 0, 0, placement.WriteState);
        }

        RecoveryTime = clock.Elapsed;
        if (startWriter)
        {
            _writerThread = new Thread(WriteLoop) { IsBackground = true, Name = "oxbow-spool" };
            _writerThread.Start();
        }
    }

    /// <summary>
    /// Opens (and recovers) the spool in <see cref="SpoolOptions.Directory"/>; with a <paramref name="placement"/>, batch
    /// data is written there and the spool keeps only where it went.
    /// </summary>
    public static SpoolLog Open(SpoolOptions options, IBatchPlacement? placement = null) => new(options, placement, PhysicalFileSystem.Instance, startWriter: true);

    /// <summary>
    /// Opens the spool over <paramref name="files"/> without its writer thread: appends wait until
    /// <see cref="WriteQueued"/> writes them on the caller's thread, so a test decides every step.
    /// </summary>
    internal static SpoolLog OpenStepwise(SpoolOptions options, IDurableFileSystem files, IBatchPlacement? placement = null) => new(options, placement, files, startWriter: false);

    /// <inheritdoc/>
    object IPlacementLedger.DurableMark => DurableEnd;

    /// <inheritdoc/>
    void IPlacementLedger.Checkpoint(object mark, Action<Utf8JsonWriter> writeState) => Commit((SpoolPosition)mark, 0, 0, writeState);

    /// <summary>The end of what is durable: every record before it is on disk (and placed, with a placement).</summary>
    public SpoolPosition DurableEnd
    {
        get
        {
            lock (_state.Gate)
            {
                return _state.DurableEnd;
            }
        }
    }

    /// <summary>The consumer's state saved with the last <see cref="Commit"/>, or null on a new spool.</summary>
    public JsonElement? ConsumerState { get; }

    /// <summary>Where the consumer had committed to; reading starts here after a restart.</summary>
    public SpoolPosition CommittedPosition { get; private set; }

    /// <summary>Records found torn or corrupt (on open, or unreadable later) and skipped.</summary>
    public long SkippedRecords
    {
        get
        {
            lock (_state.Gate)
            {
                return _state.SkippedRecords;
            }
        }
    }

    /// <summary>Bytes skipped with them.</summary>
    public long SkippedBytes
    {
        get
        {
            lock (_state.Gate)
            {
                return _state.SkippedBytes;
            }
        }
    }

    /// <summary>How long opening took: reading the ledger, checking every segment, cutting tails, restoring a placement.</summary>
    public TimeSpan RecoveryTime { get; }

    /// <summary>Counters and depth, for stats.</summary>
    public SpoolStats Stats
    {
        get
        {
            var counters = _writer.Counters;
            lock (_state.Gate)
            {
                return new SpoolStats(_state.PendingRecords, _state.PendingEvents, _state.TotalBytes, _state.Segments.Count + _state.Undeleted.Count,
                    counters.Appended, counters.AppendedEvents, counters.Duplicates, counters.FullRejects, counters.FailedAppends,
                    _state.DroppedRecords, _state.DroppedEvents, _state.SkippedRecords, _state.SkippedBytes, _options.MaxBytes,
                    counters.AppendedBytes, counters.Fsyncs, counters.BytesWritten, RecoveryTime);
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
    public SpoolRecord? TryRead(ref SpoolPosition position) => _reader.TryRead(ref position);

    /// <summary>
    /// Marks everything before <paramref name="done"/> as delivered or stored, saves it and
    /// <paramref name="consumerState"/> in the ledger, and deletes segments that are wholly done.
    /// </summary>
    /// <exception cref="IOException">The ledger could not be saved; nothing was marked.</exception>
    public void Commit(SpoolPosition done, long doneRecords, long doneEvents, Action<Utf8JsonWriter>? consumerState = null)
    {
        _ledger.Write(done, consumerState);
        List<SpoolSegment> finished = [];
        lock (_state.Gate)
        {
            if (done > _state.Done)
            {
                _state.Done = done;
                _state.PendingRecords = Math.Max(0, _state.PendingRecords - doneRecords);
                _state.PendingEvents = Math.Max(0, _state.PendingEvents - doneEvents);
            }

            CommittedPosition = _state.Done;
            foreach (var segment in _state.Segments)
            {
                var wholeDone = segment.Number < _state.Done.Segment || (segment.Number == _state.Done.Segment && _state.Done.Offset >= segment.Length);
                if (segment != _state.Active && wholeDone)
                {
                    finished.Add(segment);
                }
            }
        }

        foreach (var segment in finished)
        {
            _state.Retire(segment, countAsDropped: false);
        }
    }

    /// <summary>Writes the appends queued so far as one group, on the caller's thread (a spool opened stepwise).</summary>
    internal void WriteQueued()
    {
        if (_writerThread is not null)
        {
            throw new InvalidOperationException("The spool's own writer thread writes its appends.");
        }

        List<PendingAppend> group;
        lock (_queueLock)
        {
            group = _queue;
            _queue = [];
        }

        if (group.Count > 0)
        {
            _writer.Write(group);
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

        _writerThread?.Join();
        _writer.Dispose();
        _reader.Dispose();
        _dataAvailable.Dispose();
    }

    /// <summary>
    /// Applies the recovery plan: cuts bad tails, takes up the segments, deletes what is done. Returns the batches past
    /// the committed position (for a placement) and the highest segment number found.
    /// </summary>
    private (List<RecoveredBatch> Batches, long LastNumber) Recover(bool withPlacement, DedupWindow dedup)
    {
        var plan = SpoolRecovery.Plan(_files, _options.Directory, _state.Done, withPlacement);
        SpoolRecovery.Cut(_files, plan);
        lock (_state.Gate)
        {
            _state.SkippedRecords += plan.Cuts.Count + plan.Undeliverable.Records;
            _state.SkippedBytes += plan.Cuts.Sum(c => c.Bytes) + plan.Undeliverable.Bytes;
            foreach (var segment in plan.Segments)
            {
                _state.Segments.Add(segment);
                _state.TotalBytes += segment.Length;
                foreach (var record in segment.Records)
                {
                    dedup.Add(record.Id);
                }
            }

            _state.PendingRecords = plan.Pending.Count;
            _state.PendingEvents = plan.Pending.Sum(r => (long)r.Info.Events);
        }

        var lastNumber = plan.Segments.Concat(plan.Done).Select(s => s.Number).DefaultIfEmpty(0).Max();
        foreach (var segment in plan.Done)
        {
            if (plan.Segments.Contains(segment))
            {
                _state.Retire(segment, countAsDropped: false);
            }
            else
            {
                _files.Delete(segment.Path); // a torn header: nothing in it was ever acknowledged
            }
        }

        // A segment dropped for room whose delete a power cut undid is back: the bound holds at start-up too, with room
        // for the segment about to start.
        while (!withPlacement && _options.FullPolicy == SpoolFullPolicy.DropOldest)
        {
            SpoolSegment oldest;
            lock (_state.Gate)
            {
                if (_state.TotalBytes + SpoolSegmentFormat.HeaderLength <= _options.MaxBytes || _state.Segments.Count == 0)
                {
                    break;
                }

                oldest = _state.Segments[0];
            }

            _state.Retire(oldest, countAsDropped: true);
            lock (_state.Gate)
            {
                if (_state.Undeleted.Contains(oldest))
                {
                    break; // cannot delete now: the writer's own bound check refuses appends until it can
                }
            }
        }

        return ([.. plan.Pending.Select(r => new RecoveredBatch(r.Placed, r.Data))], lastNumber);
    }

    private void WriteLoop()
    {
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

            _writer.Write(group);
            group.Clear();
        }
    }

    private void SignalData()
    {
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
    long MaxBytes,
    long AppendedBytes,
    long Fsyncs,
    long BytesWritten,
    TimeSpan RecoveryTime);
