namespace Oxbow.Daemon.Control;

/// <summary>How the control port runs SQL: a default timeout, queries interrupted at shutdown, and a few at a time.</summary>
/// <param name="Timeout">A query's time unless its request names one (<c>timeout_seconds</c>).</param>
/// <param name="Stopping">Cancelled when the daemon stops: running queries are interrupted, so shutdown never waits on one.</param>
internal sealed record QueryPolicy(TimeSpan Timeout, CancellationToken Stopping)
{
    /// <summary>Queries that run at once, each on its own DuckDB connection; more wait (until their timeout).</summary>
    public SemaphoreSlim Slots { get; } = new(4, 4);
}

/// <summary>
/// Who answers a query's HTTP request: its worker, once it has rows to write, or the handler, when the query's time
/// is up first. Exactly one of them wins, so a response is never written by both.
/// </summary>
internal sealed class QueryHandoff
{
    private const int Running = 0, Writing = 1, Abandoned = 2;
    private int _state;

    /// <summary>The worker, before its first byte: false when the handler has answered already.</summary>
    public bool TryStartWriting() => Interlocked.CompareExchange(ref _state, Writing, Running) is Running or Writing;

    /// <summary>The handler, at the timeout: false when the worker is writing already.</summary>
    public bool TryAbandon() => Interlocked.CompareExchange(ref _state, Abandoned, Running) == Running;
}
