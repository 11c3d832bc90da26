using Oxbow.Sinks;

namespace Oxbow.Pipeline;

/// <summary>
/// A bounded, double-buffered byte queue between logging threads and the single writer thread.
/// Producers copy an encoded line into the active buffer under a lock held for one memcpy; the writer swaps the
/// active buffer for the spare one and writes the whole swapped buffer as a batch outside the lock. Memory is bounded
/// by two buffers of <c>capacity</c> bytes.
/// </summary>
internal sealed class EventQueue : IDisposable
{
    private readonly object _gate = new();
    private readonly int _capacity;
    private readonly int _maxEventBytes;
    private readonly QueueFullMode _fullMode;

    private byte[] _active;
    private int _activeBytes;
    private int _activeCount;
    private byte[] _spare;

    private readonly TimeSpan _linger;
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

    public EventQueue(int capacity, int maxEventBytes, QueueFullMode fullMode, TimeSpan linger)
    {
        _linger = linger;
        _capacity = capacity;
        _maxEventBytes = Math.Min(capacity, maxEventBytes);
        _fullMode = fullMode;
        // Both buffers are allocated whole up front: memory is bounded and known from the start, and the hot path
        // never allocates or grows anything. Untouched pages cost no physical memory.
        _active = GC.AllocateUninitializedArray<byte>(capacity);
        _spare = GC.AllocateUninitializedArray<byte>(capacity);
    }

    /// <summary>
    /// True from a failed enqueue until the writer frees space. In drop mode callers check it before encoding, so
    /// under overload they skip work whose result would be dropped anyway.
    /// </summary>
    public bool IsFull => _full;

    /// <summary>Counts an event dropped because <see cref="IsFull"/> was set.</summary>
    public void CountDroppedFull() => Interlocked.Increment(ref _droppedFull);

    public long Enqueued => Volatile.Read(ref _enqueued);

    /// <summary>Capacity of the active buffer, in bytes.</summary>
    public int Capacity => _capacity;

    /// <summary>Bytes waiting in the active buffer (a racy read, for gauges).</summary>
    public long Bytes => Volatile.Read(ref _activeBytes);

    public long DroppedQueueFull => Volatile.Read(ref _droppedFull);

    public long DroppedOversized => Volatile.Read(ref _droppedOversized);

    /// <summary>Copies one encoded line in; returns false when it was dropped (and counted).</summary>
    public bool TryEnqueue(ReadOnlySpan<byte> line)
    {
        if (line.Length > _maxEventBytes)
        {
            Interlocked.Increment(ref _droppedOversized);
            return false;
        }

        lock (_gate)
        {
            while (_activeBytes + line.Length > _capacity)
            {
                if (_fullMode == QueueFullMode.DropNewest || _completed)
                {
                    _full = _fullMode == QueueFullMode.DropNewest;
                    Interlocked.Increment(ref _droppedFull);
                    return false;
                }

                _waitingProducers++;
                Monitor.Wait(_gate);
                _waitingProducers--;
            }

            line.CopyTo(_active.AsSpan(_activeBytes));
            _activeBytes += line.Length;
            _activeCount++;
            _enqueued++;
            // Wake the writer only on the transitions that need it: from idle, or when a lingering batch is big enough.
            // Waking it per event would cost a futex call per event and ping-pong the lock.
            if (_writerIdle || (_writerLingering && _activeBytes >= _capacity / 4))
            {
                _writerIdle = false;
                _writerLingering = false;
                Monitor.PulseAll(_gate);
            }
        }

        return true;
    }

    /// <summary>
    /// Called by the writer: waits for data, a flush request or completion, then hands over everything queued.
    /// Returns false when the queue is completed and empty.
    /// </summary>
    public bool TakeBatch(out byte[] buffer, out int bytes, out int count, out long flushTicket)
    {
        lock (_gate)
        {
            while (_activeBytes == 0 && !_completed && _flushRequested == _flushCompleted)
            {
                _writerIdle = true;
                Monitor.Wait(_gate);
                _writerIdle = false;
            }

            // Let a batch build up for a moment: one big write is far cheaper than many small ones.
            if (!_completed && _flushRequested == _flushCompleted && _activeBytes < _capacity / 4 && _linger > TimeSpan.Zero)
            {
                _writerLingering = true;
                Monitor.Wait(_gate, _linger);
                _writerLingering = false;
            }

            if (_activeBytes == 0 && _completed && _flushRequested == _flushCompleted)
            {
                buffer = [];
                bytes = count = 0;
                flushTicket = _flushRequested;
                return false;
            }

            buffer = _active;
            bytes = _activeBytes;
            count = _activeCount;
            flushTicket = _flushRequested;
            _active = _spare;
            _spare = buffer;
            _activeBytes = 0;
            _activeCount = 0;
            _full = false;
            if (_waitingProducers > 0)
            {
                Monitor.PulseAll(_gate);
            }

            return true;
        }
    }

    /// <summary>Called by the writer once a batch taken with <paramref name="flushTicket"/> has reached the sinks.</summary>
    public void BatchDone(long flushTicket)
    {
        lock (_gate)
        {
            if (flushTicket > _flushCompleted)
            {
                _flushCompleted = flushTicket;
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Waits until everything enqueued before the call has been written; false on timeout.</summary>
    public bool Flush(TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_gate)
        {
            var ticket = ++_flushRequested;
            Monitor.PulseAll(_gate);
            while (_flushCompleted < ticket)
            {
                var remaining = deadline - Environment.TickCount64;
                if (remaining <= 0 || !Monitor.Wait(_gate, TimeSpan.FromMilliseconds(remaining)))
                {
                    return _flushCompleted >= ticket;
                }
            }

            return true;
        }
    }

    /// <summary>No more events are accepted; the writer drains what is queued and stops.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _completed = true;
            Monitor.PulseAll(_gate);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _active = _spare = [];
        }
    }

    public static EventBatch AsBatch(byte[] buffer, int bytes, int count) => new(buffer.AsMemory(0, bytes), count);
}
