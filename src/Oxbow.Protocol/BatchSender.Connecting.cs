using System.Buffers;
using System.IO.Compression;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Oxbow.Transport;

/// <summary>Connecting: the loop that keeps one upstream connected, failing over along the endpoint list with backoff, and the connection itself.</summary>
internal sealed partial class BatchSender
{
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
