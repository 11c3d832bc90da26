using System.IO.Pipelines;
using Oxbow.Daemon.Stats;

namespace Oxbow.Daemon.Connections;

/// <summary>Bounds on what connections may hold. Each default is in docs/daemon.md under "Limits and failure behaviour".</summary>
public sealed class ConnectionLimitOptions
{
    /// <summary>Connections open at once on one listener (binary ingest, syslog TCP); more are refused and counted. Default 1,000.</summary>
    public int MaxConnections { get; init; } = 1000;

    /// <summary>A connection that sends nothing between frames (or messages) for this long is closed. Default 300 s.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>A frame (or syslog message) begun must be complete within this time, however slowly it trickles in. Default 30 s.</summary>
    public TimeSpan FrameTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Bytes of partly received frames and HTTP bodies held across all connections; a connection that would take more
    /// is refused (busy) and counted. Default 256 MiB.
    /// </summary>
    public long PartialBytesBudget { get; init; } = 256L << 20;

    /// <summary>A copy with the given values changed.</summary>
    public ConnectionLimitOptions With(int? max = null, TimeSpan? idle = null, TimeSpan? frame = null, long? budget = null) => new()
    {
        MaxConnections = max ?? MaxConnections,
        IdleTimeout = idle ?? IdleTimeout,
        FrameTimeout = frame ?? FrameTimeout,
        PartialBytesBudget = budget ?? PartialBytesBudget,
    };
}

/// <summary>
/// Holds every connection to its bounds: a cap per listener, an idle timeout between frames, a deadline for each
/// frame once begun, and one memory budget for partly received data across all connections. Shutdown ends idle
/// connections at once instead of waiting for them.
/// </summary>
internal sealed class ConnectionLimits(ConnectionLimitOptions options, DaemonStats stats, CancellationToken stopping)
{
    private long _held;

    public ConnectionLimitOptions Options => options;

    /// <summary>Bytes of partly received data held now, over all connections.</summary>
    public long HeldBytes => Interlocked.Read(ref _held);

    /// <summary>A listener's connection count, bounded by <see cref="ConnectionLimitOptions.MaxConnections"/>.</summary>
    public Listener NewListener() => new(this);

    /// <summary>
    /// Sets what one connection holds to <paramref name="bytes"/> (its unparsed buffer). False, with nothing taken, when
    /// that would pass the budget: the caller refuses the connection. Call with 0 when it closes.
    /// </summary>
    public bool TryHold(ref long current, long bytes)
    {
        var delta = bytes - current;
        if (delta > 0 && Interlocked.Add(ref _held, delta) > options.PartialBytesBudget)
        {
            Interlocked.Add(ref _held, -delta);
            stats.Count(DaemonCounters.PartialBudgetRefused);
            return false;
        }

        if (delta < 0)
        {
            Interlocked.Add(ref _held, delta);
        }

        current = bytes;
        return true;
    }

    /// <summary>
    /// Reads with the right deadline: the idle timeout between frames, the rest of the frame's time within one.
    /// Returns null when the connection should just close (idle too long, or the daemon is stopping between frames).
    /// </summary>
    /// <exception cref="TimeoutException">A frame begun at <paramref name="frameStarted"/> did not complete in time (counted).</exception>
    public async ValueTask<ReadResult?> ReadAsync(PipeReader input, long? frameStarted)
    {
        var midFrame = frameStarted is not null;
        var timeout = midFrame
            ? options.FrameTimeout - TimeSpan.FromMilliseconds(Environment.TickCount64 - frameStarted!.Value)
            : options.IdleTimeout;
        if (timeout <= TimeSpan.Zero)
        {
            throw FrameTimedOut();
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(midFrame ? CancellationToken.None : stopping);
        deadline.CancelAfter(timeout);
        try
        {
            return await input.ReadAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            if (midFrame)
            {
                throw FrameTimedOut();
            }

            if (!stopping.IsCancellationRequested)
            {
                stats.Count(DaemonCounters.ConnectionsIdleClosed);
            }

            return null;
        }
    }

    private TimeoutException FrameTimedOut()
    {
        stats.Count(DaemonCounters.ConnectionsFrameTimeout);
        return new TimeoutException($"a frame was begun and not completed within {options.FrameTimeout.TotalSeconds:0} s");
    }

    /// <summary>One listener's open connections.</summary>
    internal sealed class Listener(ConnectionLimits limits)
    {
        private int _open;

        /// <summary>Takes a place; false (counted) when the listener is full. A true must be followed by <see cref="Exit"/>.</summary>
        public bool TryEnter()
        {
            if (Interlocked.Increment(ref _open) > limits.Options.MaxConnections)
            {
                Interlocked.Decrement(ref _open);
                limits.CountRefused();
                return false;
            }

            return true;
        }

        public void Exit() => Interlocked.Decrement(ref _open);
    }

    private void CountRefused() => stats.Count(DaemonCounters.ConnectionsRefused);
}
