using Oxbow.Transport;

namespace Oxbow.Sinks;

/// <summary>Counters of a <see cref="NetworkSink"/>.</summary>
public sealed record NetworkSinkStats(long Acknowledged, long Dropped, long Rejected, long PendingEvents, long PendingBytes, UpstreamStatus Upstream);

/// <summary>
/// Where a <see cref="NetworkSink"/> is connected: its endpoints, the one in use and since when (UTC), the last
/// connection error, how many connections and failovers there have been, and the batches in flight.
/// </summary>
public sealed record UpstreamStatus(IReadOnlyList<string> Endpoints, string? Connected, DateTime? ConnectedSinceUtc, string? LastError, long Connects, long Failovers, int InFlight);

/// <summary>
/// Ships events to an Oxbow agent or collector over the binary protocol, acknowledged after the receiver has them
/// on disk. Events are copied into a bounded buffer (the writer thread never waits on the network), sent in batches
/// by a background loop, and resent on a new connection (failing over along the endpoint list) until acknowledged.
/// </summary>
/// <remarks>
/// When the buffer is full, <see cref="QueueFullMode.DropNewest"/> drops the incoming batch and counts it;
/// <see cref="QueueFullMode.Wait"/> holds the writer thread (and so, behind it, the application's queue) until
/// acknowledgements free space. Disposal waits up to <see cref="NetworkSinkOptions.ShutdownTimeout"/> for everything
/// to be acknowledged and counts the rest as dropped. Batches the receiver refuses for good (a bad token scope, an
/// invalid event) are counted as rejected and reported to <see cref="OxbowSelfLog"/>.
/// </remarks>
public sealed class NetworkSink : IEventSink, IDisposable, IStartableSink
{
    private readonly NetworkSinkOptions _options;
    private readonly BatchSender _sender;
    private readonly object _lock = new();
    private Task? _loop;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _work = new(0, 1);
    private readonly List<Task> _inFlight = [];
    private byte[] _current;
    private int _currentLength;
    private int _currentCount;
    private long _pendingBytes;
    private long _pendingEvents;
    private long _acknowledged;
    private long _dropped;
    private long _rejected;
    private bool _closed;
    private string _app = "";

    /// <summary>Starts nothing: the background loop starts when a pipeline takes the sink (or at the first batch), and connects on the first batch.</summary>
    public NetworkSink(NetworkSinkOptions options)
    {
        _options = options;
        _sender = new BatchSender(options.ToSenderOptions());
        _current = new byte[Math.Min(options.MaxBatchBytes, 64 * 1024)];
    }

    void IStartableSink.Start(string app)
    {
        _app = app;
        EnsureStarted();
    }

    private void EnsureStarted()
    {
        if (Volatile.Read(ref _loop) is null)
        {
            lock (_lock)
            {
                _loop ??= BackgroundTask.Run(RunAsync);
            }
        }
    }

    /// <summary>Counters and the upstream's state.</summary>
    public NetworkSinkStats Stats
    {
        get
        {
            lock (_lock)
            {
                var status = _sender.Status;
                var upstream = new UpstreamStatus(status.Endpoints, status.Connected, status.ConnectedSinceUtc, status.LastError, status.Connects, status.Failovers, status.InFlight);
                return new NetworkSinkStats(_acknowledged, _dropped, _rejected, _pendingEvents, _pendingBytes, upstream);
            }
        }
    }

    /// <inheritdoc/>
    public void Emit(in EventBatch batch)
    {
        EnsureStarted();
        var bytes = batch.Utf8Lines.Span;
        lock (_lock)
        {
            while (!_closed && _pendingBytes + bytes.Length > _options.BufferCapacityBytes && _pendingBytes > 0)
            {
                if (_options.FullMode == QueueFullMode.DropNewest)
                {
                    _dropped += batch.Count;
                    return;
                }

                Monitor.Wait(_lock);
            }

            if (_closed)
            {
                _dropped += batch.Count;
                return;
            }

            foreach (var line in batch)
            {
                Append(line);
            }

            _pendingBytes += bytes.Length;
            _pendingEvents += batch.Count;
        }

        Signal();
    }

    /// <summary>Waits up to <see cref="NetworkSinkOptions.ShutdownTimeout"/> for acknowledgements, then closes.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _closed = true;
            Monitor.PulseAll(_lock);
        }

        Signal();
        var deadline = DateTime.UtcNow + _options.ShutdownTimeout;
        lock (_lock)
        {
            while (_pendingEvents > 0 && DateTime.UtcNow < deadline)
            {
                Monitor.Wait(_lock, TimeSpan.FromMilliseconds(50));
            }

            _dropped += _pendingEvents;
            if (_pendingEvents > 0)
            {
                Pipeline.SinkFailures.Report("network", $"not acknowledged within {_options.ShutdownTimeout.TotalSeconds:0.#} s of shutdown", _pendingEvents);
            }
        }

        _stop.Cancel();
        try
        {
            _loop?.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        _sender.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }

    private void Append(ReadOnlySpan<byte> line)
    {
        var needed = line.Length + 1;
        if (_currentLength > 0 && _currentLength + needed > _options.MaxBatchBytes)
        {
            // Leave the full batch for the loop and start another; the loop takes them in order.
            _ready.Enqueue((_current.AsMemory(0, _currentLength), _currentCount));
            _current = new byte[Math.Min(_options.MaxBatchBytes, Math.Max(64 * 1024, needed))];
            _currentLength = 0;
            _currentCount = 0;
        }

        if (_currentLength + needed > _current.Length)
        {
            Array.Resize(ref _current, Math.Max(_currentLength + needed, Math.Min(_options.MaxBatchBytes, _current.Length * 2)));
        }

        line.CopyTo(_current.AsSpan(_currentLength));
        _current[_currentLength + line.Length] = (byte)'\n';
        _currentLength += needed;
        _currentCount++;
    }

    private readonly Queue<(ReadOnlyMemory<byte> Data, int Count)> _ready = new();

    private void Signal()
    {
        if (_work.CurrentCount == 0)
        {
            try
            {
                _work.Release();
            }
            catch (SemaphoreFullException)
            {
            }
        }
    }

    private async Task RunAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await _work.WaitAsync(TimeSpan.FromMilliseconds(100), token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            while (true)
            {
                (ReadOnlyMemory<byte> Data, int Count) next;
                lock (_lock)
                {
                    _inFlight.RemoveAll(t => t.IsCompleted);
                    if (_inFlight.Count >= _options.MaxInFlightBatches * 2)
                    {
                        break;
                    }

                    if (_ready.Count > 0)
                    {
                        next = _ready.Dequeue();
                    }
                    else if (_currentLength > 0)
                    {
                        // Nothing full is waiting: send what has gathered, so a quiet app still ships promptly.
                        next = (_current.AsMemory(0, _currentLength), _currentCount);
                        _current = new byte[_current.Length];
                        _currentLength = 0;
                        _currentCount = 0;
                    }
                    else
                    {
                        break;
                    }

                    _inFlight.Add(SendAsync(next.Data, next.Count));
                }
            }

            Task[] inFlight;
            lock (_lock)
            {
                inFlight = [.. _inFlight];
            }

            if (inFlight.Length >= _options.MaxInFlightBatches * 2)
            {
                await Task.WhenAny(inFlight).ConfigureAwait(false);
                Signal();
            }
        }
    }

    private async Task SendAsync(ReadOnlyMemory<byte> data, int count)
    {
        try
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var outcome = await _sender.SendAsync(new OutgoingBatch(BatchId.New(), count, data)).ConfigureAwait(false);
            lock (_lock)
            {
                if (outcome.Acknowledged)
                {
                    Pipeline.OxbowMetrics.RecordAcknowledgement(started, _app);
                    _acknowledged += count;
                }
                else
                {
                    _rejected += count;
                    Pipeline.SinkFailures.Report("network", $"the collector rejected a batch: {outcome.Rejection?.Message}", count);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Counted as dropped by Dispose.
            return;
        }

        lock (_lock)
        {
            _pendingBytes -= data.Length;
            _pendingEvents -= count;
            Monitor.PulseAll(_lock);
        }

        Signal();
    }
}
