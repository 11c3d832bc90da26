using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Oxbow.Daemon.Auth;
using Oxbow.Daemon.Connections;
using Oxbow.Transport;

namespace Oxbow.Daemon.Ingest;

/// <summary>
/// One binary-protocol connection (docs/protocol.md), hosted by Kestrel: handshake, then batches read and made
/// durable in a pipeline while acknowledgements go back in order. A broken frame ends only this connection, with an
/// ERROR frame naming the problem; a bad batch is refused with REJECT and the connection carries on.
/// </summary>
internal sealed class IngestConnectionHandler(IngestPipeline pipeline, AccessPolicy access, string serverName, ConnectionLimits limits) : ConnectionHandler
{
    private readonly ConnectionLimits.Listener _listener = limits.NewListener();

    // Batches up to 1 MiB (the client library sends about 300 KiB) are copied into pooled arrays; 32 per size class
    // covers every batch in flight from a few busy senders, and bounds what the pool keeps.
    private const int PooledBatchBytes = 1 << 20;
    private static readonly ArrayPool<byte> BatchBuffers = ArrayPool<byte>.Create(PooledBatchBytes, 32);

    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan LingerTimeout = TimeSpan.FromSeconds(2);
    private const long LingerMaxBytes = 4L << 20;
    private const int MaxBatchesInFlight = 32;

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        if (!_listener.TryEnter())
        {
            await connection.Transport.Output.WriteAsync(Frames.Error(new ErrorMessage(RejectReason.Busy,
                $"this listener has {limits.Options.MaxConnections} connections open (max-connections); retry later"))).ConfigureAwait(false);
            return;
        }

        try
        {
            await ServeAsync(connection).ConfigureAwait(false);
        }
        finally
        {
            _listener.Exit();
        }
    }

    private async Task ServeAsync(ConnectionContext connection)
    {
        var stats = pipeline.Stats;
        stats.ConnectionOpened();
        long held = 0; // bytes of a partly received frame this connection holds, in the shared budget
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        var replies = Channel.CreateBounded<Task<byte[]>>(new BoundedChannelOptions(MaxBatchesInFlight) { SingleReader = true, SingleWriter = true });
        var writer = WriteRepliesAsync(replies.Reader, output);
        try
        {
            var grant = await HandshakeAsync(connection, input, output).ConfigureAwait(false);
            if (grant is null)
            {
                return;
            }

            long? frameStarted = null;
            while (true)
            {
                // No cancellation on ConnectionClosed: after a client half-closes, the frames it already sent are still
                // processed. The limits end a connection idle between frames, or slower than the frame timeout within one.
                if (await limits.ReadAsync(input, frameStarted).ConfigureAwait(false) is not { } result)
                {
                    break;
                }

                var buffer = result.Buffer;
                try
                {
                    var framesRead = false;
                    while (Frames.TryRead(ref buffer, pipeline.MaxBatchBytes, out var header, out var payload))
                    {
                        if (header.Type != FrameType.Batch)
                        {
                            throw new ProtocolException(RejectReason.UnknownFrameType, $"expected BATCH, got frame type {(byte)header.Type}");
                        }

                        framesRead = true;
                        var reply = Accept(header, payload, grant);
                        await replies.Writer.WriteAsync(reply).ConfigureAwait(false);
                    }

                    if (result.IsCompleted && !buffer.IsEmpty)
                    {
                        throw new ProtocolException(RejectReason.MalformedFrame, $"connection closed inside a frame ({buffer.Length} bytes left over)");
                    }

                    // What is left is the start of the next frame: its clock starts now, and its bytes count in the budget.
                    frameStarted = buffer.IsEmpty ? null : framesRead ? Environment.TickCount64 : frameStarted ?? Environment.TickCount64;
                    if (!limits.TryHold(ref held, buffer.Length))
                    {
                        throw new ProtocolException(RejectReason.Busy, "the collector holds as much partly received data as it may (partial-bytes-budget); retry later");
                    }
                }
                catch (ProtocolException)
                {
                    // This read is finished with, so the lingering close can read on.
                    input.AdvanceTo(result.Buffer.End);
                    throw;
                }

                if (result.IsCompleted)
                {
                    input.AdvanceTo(buffer.End);
                    break;
                }

                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (ProtocolException ex)
        {
            stats.Reject(ex.Reason);
            replies.Writer.TryWrite(Task.FromResult(Frames.Error(new ErrorMessage(ex.Reason, ex.Message))));
            replies.Writer.TryComplete();
            await writer.ConfigureAwait(false);
            await DrainAsync(input).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            // A frame trickling in slower than the frame timeout: say so and close (counted by the limits).
            replies.Writer.TryWrite(Task.FromResult(Frames.Error(new ErrorMessage(RejectReason.MalformedFrame, ex.Message))));
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ConnectionResetException or InvalidOperationException)
        {
            // The peer went away; anything not acknowledged will be resent by it.
        }
        finally
        {
            limits.TryHold(ref held, 0);
            replies.Writer.TryComplete();
            await writer.ConfigureAwait(false);
            stats.ConnectionClosed();
        }
    }

    private Task<byte[]> Accept(FrameHeader header, ReadOnlySequence<byte> payload, TokenGrant grant)
    {
        BatchId id = default;
        try
        {
            var (batchId, declared, data) = Frames.ParseBatch(payload);
            id = batchId;
            // The pipe's memory is reused once we advance, so the batch gets its own copy for the spool, from a pool:
            // nothing keeps the memory once the append completes (the spool copies what it caches), which spares the GC
            // a large object and the kernel fresh pages per batch.
            if ((header.Flags & FrameFlags.Gzip) != 0)
            {
                return AcceptAsync(id, declared, pipeline.Gunzip(data.ToArray()), grant, pooled: null);
            }

            if (data.Length <= PooledBatchBytes)
            {
                var pooled = BatchBuffers.Rent((int)data.Length);
                data.CopyTo(pooled);
                return AcceptAsync(id, declared, pooled.AsMemory(0, (int)data.Length), grant, pooled);
            }

            return AcceptAsync(id, declared, data.ToArray(), grant, pooled: null);
        }
        catch (ProtocolException ex) when (ex.Reason is RejectReason.BadChecksum or RejectReason.BadCompression or RejectReason.FrameTooLarge)
        {
            // Whoever finds a refusal counts it: IngestPipeline.Gunzip counts its own, the checksum is found here.
            if (ex.Reason == RejectReason.BadChecksum)
            {
                pipeline.Stats.Reject(ex.Reason);
            }

            return Task.FromResult(Frames.Reject(new RejectMessage(ex.Batch ?? id, ex.Reason, ex.Message)));
        }
    }

    private async Task<byte[]> AcceptAsync(BatchId id, int declared, ReadOnlyMemory<byte> data, TokenGrant grant, byte[]? pooled)
    {
        try
        {
            var (events, duplicate) = await pipeline.AcceptAsync(id, data, grant, declaredEvents: declared).ConfigureAwait(false);
            return Frames.Ack(new AckMessage(id, events, duplicate));
        }
        catch (ProtocolException ex)
        {
            return Frames.Reject(new RejectMessage(id, ex.Reason, ex.Message));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A bug must not leave the sender waiting for ever for a reply that never comes: answer, log and count it.
            OxbowDaemonLog.Error("batch_failed", ex);
            pipeline.Stats.Reject(RejectReason.Internal);
            return Frames.Reject(new RejectMessage(id, RejectReason.Internal, $"the collector failed on this batch ({ex.GetType().Name}); it was not stored"));
        }
        finally
        {
            if (pooled is not null)
            {
                BatchBuffers.Return(pooled);
            }
        }
    }

    /// <summary>
    /// Lingering close: after an ERROR, reads and discards what the peer still sends (bounded in time and bytes)
    /// before closing. Closing with unread bytes makes the kernel send a reset, which can destroy the ERROR frame
    /// before the peer reads it, and then the sender never learns why it was refused.
    /// </summary>
    private static async Task DrainAsync(PipeReader input)
    {
        using var timeout = new CancellationTokenSource(LingerTimeout);
        long discarded = 0;
        try
        {
            while (discarded < LingerMaxBytes)
            {
                var result = await input.ReadAsync(timeout.Token).ConfigureAwait(false);
                discarded += result.Buffer.Length;
                input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException or ConnectionResetException)
        {
            // Gone or still talking after the linger time: close now.
        }
    }

    private async Task<TokenGrant?> HandshakeAsync(ConnectionContext connection, PipeReader input, PipeWriter output)
    {
        if (await ReadHelloAsync(input).ConfigureAwait(false) is not { } hello)
        {
            return null;
        }

        if (hello.MinVersion > Protocol.Version || hello.MaxVersion < Protocol.Version)
        {
            throw new ProtocolException(RejectReason.UnsupportedVersion,
                $"client speaks versions {hello.MinVersion}-{hello.MaxVersion}; this server speaks {Protocol.Version}");
        }

        var remote = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        var grant = access.Authenticate(hello.Token, remote) ?? throw new ProtocolException(RejectReason.Unauthorized, access.RequiresTokens
            ? "unknown or missing token"
            : "this daemon has no token file and accepts only loopback clients");
        await output.WriteAsync(Frames.Welcome(new WelcomeMessage(Protocol.Version, pipeline.MaxBatchBytes, serverName))).ConfigureAwait(false);
        return grant;
    }

    /// <summary>The HELLO frame, or null when the peer closed without sending a byte.</summary>
    private static async Task<HelloMessage?> ReadHelloAsync(PipeReader input)
    {
        // Only the handshake timeout cancels this read, not ConnectionClosed: a client that sends HELLO and frames and
        // then half-closes still gets its answers, whichever comes first on the wire.
        using var timeout = new CancellationTokenSource(HandshakeTimeout);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new ProtocolException(RejectReason.MalformedFrame, $"no HELLO within {HandshakeTimeout.TotalSeconds:0} s");
            }

            var buffer = result.Buffer;
            try
            {
                if (Frames.TryRead(ref buffer, 64 * 1024, out var header, out var payload))
                {
                    if (header.Type != FrameType.Hello)
                    {
                        throw new ProtocolException(RejectReason.UnknownFrameType, $"expected HELLO first, got frame type {(byte)header.Type}");
                    }

                    var hello = Frames.ParseHello(payload);
                    input.AdvanceTo(buffer.Start);
                    return hello;
                }

                if (result.IsCompleted && !buffer.IsEmpty)
                {
                    throw new ProtocolException(RejectReason.MalformedFrame, $"connection closed inside the HELLO frame ({buffer.Length} bytes)");
                }
            }
            catch (ProtocolException)
            {
                // This read is finished with, so the lingering close can read on.
                input.AdvanceTo(result.Buffer.End);
                throw;
            }

            if (result.IsCompleted)
            {
                input.AdvanceTo(buffer.End);
                return null;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static async Task WriteRepliesAsync(ChannelReader<Task<byte[]>> replies, PipeWriter output)
    {
        try
        {
            await foreach (var reply in replies.ReadAllAsync().ConfigureAwait(false))
            {
                var frame = await reply.ConfigureAwait(false);
                output.Write(frame);
                // Flush when nothing else is ready, so acknowledgements for a burst go out together.
                if (!replies.TryPeek(out var next) || !next.IsCompleted)
                {
                    await output.FlushAsync().ConfigureAwait(false);
                }
            }

            await output.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException or ConnectionResetException)
        {
            // The peer is gone; it resends whatever it did not see acknowledged.
        }
    }
}
