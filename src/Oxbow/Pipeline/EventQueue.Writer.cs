namespace Oxbow.Pipeline;

/// <summary>The writer's side of the queue: taking batches, reporting them written, flush and completion.</summary>
internal sealed partial class EventQueue
{
    /// <summary>
    /// Called by the writer: waits for data, a flush request or completion, then hands over everything queued.
    /// Returns false when the queue is completed and empty.
    /// </summary>
    /// <remarks><paramref name="records"/> is how many entries are log records for the writer to format; the rest are JSON lines.</remarks>
    public bool TakeBatch(out byte[] buffer, out int bytes, out int count, out int records, out long flushTicket)
    {
        lock (_gate)
        {
            _spin.Enter();
            var polled = false;
            while (_activeBytes == 0 && !_completed && _flushRequested == _flushCompleted)
            {
                if (_linger > TimeSpan.Zero && Environment.TickCount64 < _pollUntil)
                {
                    // Events arrived lately: look again after one interval instead of sleeping until a producer wakes
                    // this thread, so that a logging thread never pays for a wake-up (a futex call, measured at 5-8 ns
                    // a call over bursts of 2,000). A big enough batch still wakes it early, as a lingering one.
                    _writerLingering = true;
                    _spin.Exit();
                    Monitor.Wait(_gate, _linger);
                    _spin.Enter();
                    _writerLingering = false;
                    polled = true;
                    continue;
                }

                // Quiet for a while: sleep until woken. Set under the spin gate while holding the monitor: a producer
                // that sees the flag pulses the monitor, which it can enter only once this thread waits, so the
                // wake-up cannot be lost.
                _writerIdle = true;
                _spin.Exit();
                Monitor.Wait(_gate);
                _spin.Enter();
                _writerIdle = false;
                polled = false;
            }

            if (_activeBytes > 0)
            {
                _pollUntil = Environment.TickCount64 + PollForMilliseconds;
            }

            // Let a batch build up for a moment: one big write is far cheaper than many small ones. A batch found by
            // polling has had an interval to build up already.
            if (!polled && !_completed && _flushRequested == _flushCompleted && _activeBytes < _initialCapacity / 4 && _linger > TimeSpan.Zero)
            {
                _writerLingering = true;
                _spin.Exit();
                Monitor.Wait(_gate, _linger);
                _spin.Enter();
                _writerLingering = false;
            }

            if (_activeBytes == 0 && _completed && _flushRequested == _flushCompleted)
            {
                _spin.Exit();
                buffer = [];
                bytes = count = records = 0;
                flushTicket = _flushRequested;
                return false;
            }

            buffer = _active;
            bytes = _activeBytes;
            count = _activeCount;
            records = _activeRecords;
            flushTicket = _flushRequested;
            _active = _spare;
            // A buffer grown for a burst is let go once batches fit the initial size again (the writer still holds
            // it until this batch is written); the next spare is then the initial size.
            var shrink = buffer.Length > _initialCapacity && bytes <= _initialCapacity / 2;
            _spare = buffer;
            _activeBytes = 0;
            _activeCount = 0;
            _activeRecords = 0;
            _full = false;
            var waiting = _waitingProducers > 0;
            var activeTooBig = _active.Length > _initialCapacity && bytes <= _initialCapacity / 2;
            _spin.Exit();

            // Fresh buffers are allocated outside the spin gate; only the writer replaces them, so nothing races.
            if (shrink || activeTooBig)
            {
                var spare = shrink ? GC.AllocateUninitializedArray<byte>(_initialCapacity) : buffer;
                var active = activeTooBig ? GC.AllocateUninitializedArray<byte>(_initialCapacity) : null;
                _spin.Enter();
                _spare = spare;
                if (active is not null && _activeBytes == 0)
                {
                    _active = active;
                }

                _spin.Exit();
            }

            if (waiting)
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
            _spin.Enter();
            _completed = true;
            _spin.Exit();
            Monitor.PulseAll(_gate);
        }
    }
}
