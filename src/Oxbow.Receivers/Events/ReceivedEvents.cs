namespace Oxbow.Receivers.Events;

/// <summary>What one request became: the event lines, how many records, and those refused with why.</summary>
/// <param name="Lines">NDJSON, one event a line, in <paramref name="Buffer"/> when it is pooled.</param>
/// <param name="Events">Lines written.</param>
/// <param name="Rejected">Records refused alone (too large, or malformed where the protocol keeps the rest).</param>
/// <param name="RejectedReason">The first refusal's reason, for the answer (OTLP's partial success, Seq's error).</param>
/// <param name="Buffer">What holds the lines; disposing the events returns it, after which nothing may read them.</param>
internal readonly record struct ReceivedEvents(ReadOnlyMemory<byte> Lines, int Events, int Rejected, string? RejectedReason, IDisposable? Buffer = null) : IDisposable
{
    public void Dispose() => Buffer?.Dispose();
}
