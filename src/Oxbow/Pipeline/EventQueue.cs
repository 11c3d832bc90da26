using System.Runtime.CompilerServices;
using Oxbow.Sinks;

namespace Oxbow.Pipeline;

/// <summary>
/// A bounded, double-buffered byte queue between logging threads and the single writer thread.
/// Producers copy an encoded line into the active buffer under a spin gate held for one memcpy; the writer swaps the
/// active buffer for the spare one and writes the whole swapped buffer as a batch outside the lock.
/// </summary>
/// <remarks>
/// In the dropping mode, the active buffer starts at <c>initialCapacity</c> and doubles when an event does not fit, up
/// to <c>maxCapacity</c>; only then are events dropped, so a burst is absorbed instead of lost. In the waiting mode it
/// keeps its initial size: the caller waits instead. Memory is
/// bounded by two buffers of <c>maxCapacity</c> (the active one and the one being written), and a grown buffer is let
/// go once the batches are small again. The producers' side is here; the writer's side is in EventQueue.Writer.cs.
/// </remarks>
internal sealed partial class EventQueue : IDisposable
{
    // Two locks, the spin gate innermost. The spin gate guards the buffers and counts, and producers hold it for one
    // memcpy (a monitor cost a third of a call). The monitor is only for sleeping: the writer waiting for data, a
    // producer waiting for room, a flush waiting for the writer; whoever changes what a sleeper waits for pulses it.
    // Never take the monitor while holding the spin gate.
    private readonly object _gate = new();
    private SpinGate _spin;
    private readonly int _initialCapacity;
    private readonly int _capacity;
    private readonly TimeProvider _time;
    private readonly int _maxEventBytes;
    private readonly QueueFullMode _fullMode;

    private byte[] _active;
    private int _activeBytes;
    private int _activeCount;
    private int _activeRecords;
    private byte[] _spare;

    /// <summary>
    /// How long after the last batch the writer keeps looking for events every <c>linger</c> by itself; after that it
    /// sleeps until a producer wakes it, so an idle application has an idle writer.
    /// </summary>
    private const int PollForMilliseconds = 1000;

    /// <summary>How much a dropping queue grows by when a burst fills it (see <see cref="Grow"/>).</summary>
    private const int GrowthFactor = 16;

    private readonly TimeSpan _linger;
    private long _pollUntil;
    private volatile bool _full;
    private bool _writerIdle;
    private bool _writerLingering;
    private int _waitingProducers;
    private bool _completed;
    private long _flushRequested;
    private long _flushCompleted;

    private long _enqueued;
    private long _droppedFull;
    private long _droppedOversized;

    // When the first drop not yet reported in the stream happened (ticks; 0 = none since the last report).
    private long _firstDropTicks;
    private long _reportedFull;
    private long _reportedOversized;

    public EventQueue(int initialCapacity, int maxCapacity, int maxEventBytes, QueueFullMode fullMode, TimeSpan linger, TimeProvider? time = null)
    {
        _linger = linger;
        // Growing is how the dropping mode avoids losing a burst. A waiting queue loses nothing anyway, and growing it
        // would only trade back-pressure for fresh memory (measured: 4 producers ran 2.8 times slower with it).
        _capacity = fullMode == QueueFullMode.Wait ? initialCapacity : Math.Max(initialCapacity, maxCapacity);
        _initialCapacity = Math.Min(initialCapacity, _capacity);
        _maxEventBytes = Math.Min(_capacity, maxEventBytes);
        _fullMode = fullMode;
        _time = time ?? TimeProvider.System;
        // The first two buffers are allocated up front, so the hot path allocates nothing until a burst outgrows them.
        // Untouched pages cost no physical memory.
        _active = GC.AllocateUninitializedArray<byte>(_initialCapacity);
        _spare = GC.AllocateUninitializedArray<byte>(_initialCapacity);
    }

    /// <summary>
    /// True from a failed enqueue until the writer frees space. In drop mode callers check it before encoding, so
    /// under overload they skip work whose result would be dropped anyway.
    /// </summary>
    public bool IsFull => _full;

    /// <summary>Counts an event the writer dropped because its formatted line is over the size limit.</summary>
    public void CountOversized()
    {
        Interlocked.Increment(ref _droppedOversized);
        NoteDrop();
    }

    /// <summary>Counts an event dropped because <see cref="IsFull"/> was set.</summary>
    public void CountDroppedFull()
    {
        Interlocked.Increment(ref _droppedFull);
        NoteDrop();
    }

    public long Enqueued => Volatile.Read(ref _enqueued);

    /// <summary>The most the queue holds before the full mode applies, in bytes.</summary>
    public int Capacity => _capacity;

    /// <summary>What the active buffer has grown to, in bytes.</summary>
    public int Allocated => Volatile.Read(ref _active).Length;

    /// <summary>Bytes waiting in the active buffer (a racy read, for gauges).</summary>
    public long Bytes => Volatile.Read(ref _activeBytes);

    public long DroppedQueueFull => Volatile.Read(ref _droppedFull);

    /// <summary>True while the writer sleeps until a producer wakes it (it has seen no events for a while); for tests.</summary>
    public bool WriterAsleep
    {
        get
        {
            _spin.Enter();
            var idle = _writerIdle;
            _spin.Exit();
            return idle;
        }
    }

    public long DroppedOversized => Volatile.Read(ref _droppedOversized);

    /// <summary>Copies one encoded line in; returns false when it was dropped (and counted).</summary>
    public bool TryEnqueue(ReadOnlySpan<byte> line)
    {
        if (line.Length > _maxEventBytes)
        {
            Interlocked.Increment(ref _droppedOversized);
            NoteDrop();
            return false;
        }

        // The common case holds only the spin gate, for one memcpy: no monitor, no thread lookup.
        _spin.Enter();
        if (_activeBytes + line.Length > _active.Length || _completed)
        {
            _spin.Exit();
            return EnqueueSlow(line);
        }

        var wake = Append(line);
        _spin.Exit();
        if (wake)
        {
            lock (_gate)
            {
                Monitor.PulseAll(_gate);
            }
        }

        return true;
    }

    /// <summary>The queue is full (or completed): grow it, drop the line, or wait for room, by the full mode.</summary>
    private bool EnqueueSlow(ReadOnlySpan<byte> line)
    {
        lock (_gate)
        {
            _spin.Enter();
            while (_activeBytes + line.Length > _active.Length || _completed)
            {
                if (_completed || _fullMode == QueueFullMode.DropNewest && _active.Length >= _capacity)
                {
                    _full = _fullMode == QueueFullMode.DropNewest && !_completed;
                    _spin.Exit();
                    Interlocked.Increment(ref _droppedFull);
                    NoteDrop();
                    return false;
                }

                if (_active.Length < _capacity)
                {
                    Grow(_activeBytes + line.Length);
                    continue;
                }

                _waitingProducers++;
                _spin.Exit();
                Monitor.Wait(_gate);
                _spin.Enter();
                _waitingProducers--;
            }

            var wake = Append(line);
            _spin.Exit();
            if (wake)
            {
                Monitor.PulseAll(_gate);
            }

            return true;
        }
    }

    /// <summary>Copies a line that fits into the active buffer, under the spin gate; true when the writer must be woken.</summary>
    private bool Append(ReadOnlySpan<byte> line)
    {
        line.CopyTo(_active.AsSpan(_activeBytes));
        _activeBytes += line.Length;
        _activeCount++;
        if (line[0] == Logging.LogRecord.Marker)
        {
            _activeRecords++;
        }

        _enqueued++;
        // Wake the writer only on the transitions that need it: from idle, or when a lingering batch is big enough.
        // Waking it per event would cost a futex call per event.
        if (_writerIdle || (_writerLingering && _activeBytes >= _initialCapacity / 4))
        {
            _writerIdle = false;
            _writerLingering = false;
            return true;
        }

        return false;
    }

    /// <summary>
    /// The drops since the last report, once: counts by reason and when the first of them happened. The writer calls
    /// it after taking a batch (the queue has room again, which ends the window) and writes the report into the stream.
    /// </summary>
    public bool TakeDropReport(out long queueFull, out long oversized, out DateTimeOffset first)
    {
        var firstTicks = Interlocked.Exchange(ref _firstDropTicks, 0);
        if (firstTicks == 0)
        {
            queueFull = oversized = 0;
            first = default;
            return false;
        }

        var full = DroppedQueueFull;
        var over = DroppedOversized;
        queueFull = full - _reportedFull;
        oversized = over - _reportedOversized;
        _reportedFull = full;
        _reportedOversized = over;
        first = new DateTimeOffset(firstTicks, TimeSpan.Zero);
        return queueFull + oversized > 0;
    }

    /// <summary>Notes the window's start; the clock is read once per window, not per drop (an overloaded caller drops fast).</summary>
    private void NoteDrop()
    {
        if (Volatile.Read(ref _firstDropTicks) == 0)
        {
            Interlocked.CompareExchange(ref _firstDropTicks, _time.GetUtcNow().UtcTicks, 0);
        }
    }

    /// <summary>Doubles the active buffer (up to the capacity) so that <paramref name="needed"/> bytes fit; under the lock.</summary>
    private void Grow(int needed)
    {
        // One big step rather than doubling: growing copies the queue into fresh memory while the producers and the
        // writer wait at the gate, and on this VM first touches of fresh pages are slow. Doubling from 4 to 64 MiB
        // copied 60 MiB in four steps and took end to end from 4-5 to 2.2-2.6 M events/s; one step copies the first
        // 4 MiB only. The new buffer's untouched pages cost nothing (it is allocated uninitialized).
        var size = (int)Math.Min(_capacity, Math.Max((long)_active.Length * GrowthFactor, needed));
        var bigger = GC.AllocateUninitializedArray<byte>(size);
        _active.AsSpan(0, _activeBytes).CopyTo(bigger);
        _active = bigger;
    }

    public void Dispose()
    {
        _spin.Enter();
        _active = _spare = [];
        _spin.Exit();
    }

    public static EventBatch AsBatch(byte[] buffer, int bytes, int count) => new(buffer.AsMemory(0, bytes), count);
}
