using System.Buffers;
using System.IO.Compression;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Oxbow.Transport;

/// <summary>Serving one connection: the send window, acknowledgements and rejections, the progress deadline, and the retry queue.</summary>
internal sealed partial class BatchSender
{
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
}
