using System.Buffers;
using System.IO.Compression;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Oxbow.Transport;

/// <summary>A batch to send: an id that stays the same across retries, the event count, and NDJSON data.</summary>
internal sealed record OutgoingBatch(BatchId Id, int EventCount, ReadOnlyMemory<byte> Data);

/// <summary>How a batch ended: acknowledged (perhaps as a duplicate of an earlier try), or refused for good.</summary>
internal sealed record SendOutcome(bool Acknowledged, bool Duplicate, RejectMessage? Rejection)
{
    internal static readonly SendOutcome Stored = new(true, false, null);
    internal static readonly SendOutcome AlreadyStored = new(true, true, null);
}

/// <summary>Where a sender is connected, for stats.</summary>
internal sealed record SenderStatus(IReadOnlyList<string> Endpoints, string? Connected, DateTime? ConnectedSinceUtc, string? LastError, long Connects, long Failovers, int InFlight);

/// <summary>
/// Delivers batches over Oxbow's binary protocol with acknowledgements: one connection at a time to the first
/// endpoint that accepts it, up to <see cref="BatchSenderOptions.MaxInFlightBatches"/> batches in flight, and on any
/// failure a reconnect (with backoff, failing over along the list) that resends every unacknowledged batch with its
/// original id, so the receiver stores it once.
/// </summary>
internal sealed partial class BatchSender : IAsyncDisposable
{
    private readonly BatchSenderOptions _options;
    private readonly Channel<Pending> _incoming = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;
    private readonly object _lock = new();
    private readonly LinkedList<Pending> _retry = new();
    private readonly Dictionary<BatchId, Pending> _inFlight = [];
    private IReadOnlyList<string> _endpoints;
    private CancellationTokenSource? _connection;
    private string? _connected;
    private DateTime? _connectedSince;
    private string? _lastError;
    private long _connects;
    private long _failovers;

    /// <summary>Validates the endpoints; the background loop starts with the first batch, and nothing connects before it.</summary>
    public BatchSender(BatchSenderOptions options)
    {
        if (options.Endpoints.Count == 0)
        {
            throw new ArgumentException("At least one endpoint (host:port) is required.", nameof(options));
        }

        foreach (var endpoint in options.Endpoints)
        {
            _ = ParseEndpoint(endpoint);
        }

        _options = options;
        _endpoints = options.Endpoints;
    }

    /// <summary>The current upstream and counters.</summary>
    public SenderStatus Status
    {
        get
        {
            lock (_lock)
            {
                return new SenderStatus(_endpoints, _connected, _connectedSince, _lastError, _connects, _failovers, _inFlight.Count);
            }
        }
    }

    /// <summary>
    /// Sends a batch and completes when it is acknowledged or refused for good. Failures of the connection are
    /// retried for ever (until disposal), so the task does not fault for them.
    /// </summary>
    public Task<SendOutcome> SendAsync(OutgoingBatch batch)
    {
        var pending = new Pending(batch);
        if (Volatile.Read(ref _loop) is null)
        {
            lock (_lock)
            {
                _loop ??= BackgroundTask.Run(RunAsync);
            }
        }

        if (!_incoming.Writer.TryWrite(pending))
        {
            pending.Completion.TrySetException(new ObjectDisposedException(nameof(BatchSender)));
        }

        return pending.Completion.Task;
    }

    /// <summary>Replaces the endpoint list and reconnects; batches in flight are resent to the new upstream.</summary>
    public void Reroute(IReadOnlyList<string> endpoints)
    {
        if (endpoints.Count == 0)
        {
            throw new ArgumentException("At least one endpoint (host:port) is required.", nameof(endpoints));
        }

        foreach (var endpoint in endpoints)
        {
            _ = ParseEndpoint(endpoint);
        }

        lock (_lock)
        {
            _endpoints = endpoints;
            _connection?.Cancel();
        }
    }

    /// <summary>Stops; batches not yet acknowledged complete with <see cref="OperationCanceledException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        _incoming.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        Task? loop;
        lock (_lock)
        {
            loop = _loop;
            _loop = Task.CompletedTask; // a batch sent after disposal finds the channel completed, not a new loop
        }

        try
        {
            if (loop is not null)
            {
                await loop.ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }

        lock (_lock)
        {
            foreach (var pending in _retry.Concat(_inFlight.Values))
            {
                pending.Completion.TrySetCanceled();
            }
        }

        while (_incoming.Reader.TryRead(out var pending))
        {
            pending.Completion.TrySetCanceled();
        }

        _stopping.Dispose();
    }

    /// <summary>Splits <c>host:port</c>.</summary>
    /// <exception cref="FormatException">Not <c>host:port</c> with a port from 1 to 65535.</exception>
    public static (string Host, int Port) ParseEndpoint(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(endpoint.AsSpan(colon + 1), out var port) || port is < 1 or > 65535)
        {
            throw new FormatException($"'{endpoint}' is not host:port");
        }

        return (endpoint[..colon].Trim('[', ']'), port);
    }
}
