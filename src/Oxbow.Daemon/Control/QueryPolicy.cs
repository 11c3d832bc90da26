namespace Oxbow.Daemon.Control;

/// <summary>How the control port runs SQL: a default timeout, queries interrupted at shutdown, and a few at a time.</summary>
/// <param name="Timeout">A query's time unless its request names one (<c>timeout_seconds</c>).</param>
/// <param name="Stopping">Cancelled when the daemon stops: running queries are interrupted, so shutdown never waits on one.</param>
internal sealed record QueryPolicy(TimeSpan Timeout, CancellationToken Stopping)
{
    /// <summary>Queries that run at once, each on its own DuckDB connection; more wait (until their timeout).</summary>
    public SemaphoreSlim Slots { get; } = new(4, 4);
}
