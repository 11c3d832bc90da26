namespace Oxbow.Sinks;

/// <summary>
/// An output for events. Oxbow's background writer calls <see cref="Emit"/> with everything that arrived since the
/// previous call, always from that one thread, so a sink needs no locking of its own.
/// </summary>
/// <remarks>
/// Error contract: a sink should not throw. If it does, the writer catches the exception, counts it in
/// <see cref="OxbowStats.SinkErrors"/>, reports it to <see cref="OxbowSelfLog"/>, and carries on: the batch is not
/// retried for that sink and the other sinks still receive it. A sink that blocks holds up every sink, and the
/// queue fills behind it under the configured <see cref="QueueFullMode"/>. A sink that owns resources implements
/// <see cref="IDisposable"/>; Oxbow disposes it after the final flush.
/// </remarks>
public interface IEventSink
{
    /// <summary>Writes a batch of canonical events.</summary>
    void Emit(in EventBatch batch);
}
