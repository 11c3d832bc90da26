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
internal sealed class BatchSender : IAsyncDisposable
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

    private async Task RunAsync()
    {
        var backoff = _options.MinBackoff;
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            // Wait for work before connecting: an idle sender holds no connection attempts.
            if (RetryCount() == 0 && !await _incoming.Reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                return;
            }

            var connection = await ConnectAnyAsync(token).ConfigureAwait(false);
            if (connection is null)
            {
                await Task.Delay(backoff, token).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
                continue;
            }

            backoff = _options.MinBackoff;
            await using (connection.ConfigureAwait(false))
            {
                await ServeAsync(connection, token).ConfigureAwait(false);
            }
        }
    }

    private int RetryCount()
    {
        lock (_lock)
        {
            return _retry.Count;
        }
    }

    private async Task<Connection?> ConnectAnyAsync(CancellationToken token)
    {
        IReadOnlyList<string> endpoints;
        lock (_lock)
        {
            endpoints = _endpoints;
        }

        for (var i = 0; i < endpoints.Count; i++)
        {
            try
            {
                var connection = await Connection.OpenAsync(endpoints[i], _options, token).ConfigureAwait(false);
                lock (_lock)
                {
                    if (_connected is not null && _connected != endpoints[i])
                    {
                        _failovers++;
                    }
                    else if (_connected is null && i > 0)
                    {
                        _failovers++;
                    }

                    _connects++;
                    _connected = endpoints[i];
                    _connectedSince = DateTime.UtcNow;
                    _lastError = null;
                }

                return connection;
            }
            catch (Exception ex) when (ex is IOException or SocketException or ProtocolException or OperationCanceledException or TimeoutException or System.Security.Authentication.AuthenticationException)
            {
                if (token.IsCancellationRequested)
                {
                    throw new OperationCanceledException(token);
                }

                lock (_lock)
                {
                    _lastError = $"{endpoints[i]}: {ex.Message}";
                }
            }
        }

        lock (_lock)
        {
            _connected = null;
            _connectedSince = null;
        }

        return null;
    }

    private async Task ServeAsync(Connection connection, CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        lock (_lock)
        {
            _connection = linked;
        }

        var window = new SemaphoreSlim(_options.MaxInFlightBatches, _options.MaxInFlightBatches);
        var lastProgress = Environment.TickCount64;
        var reader = Task.Run(async () =>
        {
            try
            {
                await foreach (var reply in connection.RepliesAsync(linked.Token).ConfigureAwait(false))
                {
                    Interlocked.Exchange(ref lastProgress, Environment.TickCount64);
                    OnReply(reply, window);
                }
            }
            finally
            {
                await linked.CancelAsync().ConfigureAwait(false);
            }
        }, CancellationToken.None);

        try
        {
            while (!linked.IsCancellationRequested)
            {
                // Wait for a slot in the window, checking the acknowledgement deadline meanwhile.
                while (!await window.WaitAsync(TimeSpan.FromMilliseconds(250), linked.Token).ConfigureAwait(false))
                {
                    CheckDeadline(ref lastProgress, linked);
                }

                var next = TakeRetry();
                if (next is null)
                {
                    var read = _incoming.Reader.ReadAsync(linked.Token).AsTask();
                    while (await Task.WhenAny(read, Task.Delay(250, linked.Token)).ConfigureAwait(false) != read)
                    {
                        CheckDeadline(ref lastProgress, linked);
                        next = TakeRetry();
                        if (next is not null)
                        {
                            break;
                        }
                    }

                    if (next is not null)
                    {
                        // A retry arrived while we waited; the read stays pending and its item goes to the retry list.
                        _ = read.ContinueWith(t => { if (t.IsCompletedSuccessfully) { PushRetry(t.Result, front: false); } }, TaskScheduler.Default);
                    }
                    else
                    {
                        next = await read.ConfigureAwait(false);
                    }
                }

                lock (_lock)
                {
                    _inFlight[next.Batch.Id] = next;
                }

                if (_inFlight.Count == 1)
                {
                    Interlocked.Exchange(ref lastProgress, Environment.TickCount64);
                }

                await connection.SendBatchAsync(next.Batch, linked.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or ChannelClosedException or TimeoutException)
        {
            if (ex is not OperationCanceledException and not ChannelClosedException)
            {
                lock (_lock)
                {
                    _lastError = ex.Message;
                }
            }
        }
        finally
        {
            await linked.CancelAsync().ConfigureAwait(false);
            try
            {
                await reader.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ProtocolException or ObjectDisposedException or InvalidOperationException)
            {
                lock (_lock)
                {
                    if (ex is not OperationCanceledException)
                    {
                        _lastError = ex.Message;
                    }
                }
            }

            lock (_lock)
            {
                _connection = null;
                // Unacknowledged batches go first on the next connection, oldest first.
                foreach (var pending in _inFlight.Values.OrderByDescending(p => p.Sequence))
                {
                    _retry.AddFirst(pending);
                }

                _inFlight.Clear();
            }
        }
    }

    private void CheckDeadline(ref long lastProgress, CancellationTokenSource connection)
    {
        int inFlight;
        lock (_lock)
        {
            inFlight = _inFlight.Count;
        }

        if (inFlight > 0 && Environment.TickCount64 - Interlocked.Read(ref lastProgress) > (long)_options.AckTimeout.TotalMilliseconds)
        {
            lock (_lock)
            {
                _lastError = $"no acknowledgement for {_options.AckTimeout.TotalSeconds:0} s";
            }

            connection.Cancel();
        }
    }

    private void OnReply(Reply reply, SemaphoreSlim window)
    {
        Pending? pending;
        lock (_lock)
        {
            if (!_inFlight.Remove(reply.Id, out pending))
            {
                return;
            }
        }

        window.Release();
        if (reply.Rejection is { } rejection)
        {
            if (rejection.Retryable)
            {
                // The receiver is busy: resend later, after a pause so we do not spin against a full spool.
                _ = Task.Delay(_options.MinBackoff).ContinueWith(_ => PushRetry(pending, front: true), TaskScheduler.Default);
                return;
            }

            pending.Completion.TrySetResult(new SendOutcome(false, false, rejection));
            return;
        }

        pending.Completion.TrySetResult(reply.Duplicate ? SendOutcome.AlreadyStored : SendOutcome.Stored);
    }

    private Pending? TakeRetry()
    {
        lock (_lock)
        {
            if (_retry.First is not { } first)
            {
                return null;
            }

            _retry.RemoveFirst();
            return first.Value;
        }
    }

    private void PushRetry(Pending pending, bool front)
    {
        lock (_lock)
        {
            if (front)
            {
                _retry.AddFirst(pending);
            }
            else
            {
                _retry.AddLast(pending);
            }
        }
    }

    private sealed class Pending(OutgoingBatch batch)
    {
        private static long s_sequence;

        public OutgoingBatch Batch { get; } = batch;

        public long Sequence { get; } = Interlocked.Increment(ref s_sequence);

        public TaskCompletionSource<SendOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly record struct Reply(BatchId Id, bool Duplicate, RejectMessage? Rejection);

    /// <summary>One connection after a successful handshake.</summary>
    private sealed class Connection : IAsyncDisposable
    {
        private readonly Stream _stream;
        private readonly PipeReader _reader;
        private readonly BatchSenderOptions _options;
        private readonly int _maxFrame;

        private Connection(Stream stream, PipeReader reader, BatchSenderOptions options, int maxFrame)
        {
            _stream = stream;
            _reader = reader;
            _options = options;
            _maxFrame = maxFrame;
        }

        public static async Task<Connection> OpenAsync(string endpoint, BatchSenderOptions options, CancellationToken token)
        {
            var (host, port) = ParseEndpoint(endpoint);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(options.ConnectTimeout);
            TcpClient? client = null;
            Stream? stream = null;
            try
            {
                (client, stream) = await TcpConnect.OpenAsync(host, port, options.UseTls, options.TrustedCertificate, null, options.ConnectTimeout, timeout.Token).ConfigureAwait(false);
                await stream.WriteAsync(Frames.Hello(new HelloMessage(Protocol.Version, Protocol.Version, options.Token, options.ClientName)), timeout.Token).ConfigureAwait(false);
                var reader = PipeReader.Create(stream);
                while (true)
                {
                    var result = await reader.ReadAsync(timeout.Token).ConfigureAwait(false);
                    var buffer = result.Buffer;
                    if (Frames.TryRead(ref buffer, Protocol.DefaultMaxFrameBytes, out var header, out var payload))
                    {
                        if (header.Type == FrameType.Error)
                        {
                            var error = Frames.ParseError(payload);
                            throw new ProtocolException(error.Reason, $"refused: {error.Message}");
                        }

                        if (header.Type != FrameType.Welcome)
                        {
                            throw new ProtocolException(RejectReason.UnknownFrameType, $"expected WELCOME, got {header.Type}");
                        }

                        var welcome = Frames.ParseWelcome(payload);
                        reader.AdvanceTo(buffer.Start);
                        return new Connection(stream, reader, options, welcome.MaxFrameBytes);
                    }

                    if (result.IsCompleted)
                    {
                        throw new IOException("connection closed during the handshake");
                    }

                    reader.AdvanceTo(buffer.Start, buffer.End);
                }
            }
            catch
            {
                if (stream is not null)
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                }

                client?.Dispose();
                throw;
            }
        }

        public async Task SendBatchAsync(OutgoingBatch batch, CancellationToken token)
        {
            var data = batch.Data;
            var flags = FrameFlags.None;
            if (_options.Compress && data.Length >= 4096)
            {
                var compressed = new MemoryStream(data.Length / 4);
                using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
                {
                    gzip.Write(data.Span);
                }

                data = compressed.GetBuffer().AsMemory(0, (int)compressed.Length);
                flags = FrameFlags.Gzip;
            }

            var length = Protocol.HeaderLength + Frames.BatchPrefixLength + data.Length;
            if (length - Protocol.HeaderLength > _maxFrame)
            {
                throw new ProtocolException(RejectReason.FrameTooLarge, $"batch of {length} bytes is over the receiver's limit of {_maxFrame}");
            }

            var frame = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                data.Span.CopyTo(frame.AsSpan(Protocol.HeaderLength + Frames.BatchPrefixLength));
                Frames.WriteBatchPrefix(frame.AsSpan(0, length), batch.Id, batch.EventCount, flags);
                await _stream.WriteAsync(frame.AsMemory(0, length), token).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(frame);
            }
        }

        public async IAsyncEnumerable<Reply> RepliesAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken token)
        {
            while (true)
            {
                var result = await _reader.ReadAsync(token).ConfigureAwait(false);
                var buffer = result.Buffer;
                List<Reply> replies = [];
                while (Frames.TryRead(ref buffer, 64 * 1024, out var header, out var payload))
                {
                    switch (header.Type)
                    {
                        case FrameType.Ack:
                            var ack = Frames.ParseAck(payload);
                            replies.Add(new Reply(ack.BatchId, ack.Duplicate, null));
                            break;
                        case FrameType.Reject:
                            var reject = Frames.ParseReject(payload);
                            replies.Add(new Reply(reject.BatchId, false, reject));
                            break;
                        case FrameType.Error:
                            var error = Frames.ParseError(payload);
                            throw new ProtocolException(error.Reason, error.Message);
                        default:
                            throw new ProtocolException(RejectReason.UnknownFrameType, $"unexpected {header.Type} frame from the receiver");
                    }
                }

                _reader.AdvanceTo(buffer.Start, buffer.End);
                foreach (var reply in replies)
                {
                    yield return reply;
                }

                if (result.IsCompleted)
                {
                    throw new IOException("the receiver closed the connection");
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _reader.CompleteAsync().ConfigureAwait(false);
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
    }
}
