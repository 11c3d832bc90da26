namespace Oxbow;

/// <summary>
/// Sees every event before it is encoded: it may add, change or remove fields (an enricher), or drop the event.
/// Processors run in order on the calling thread. An exception thrown by a processor is counted in
/// <see cref="OxbowStats.InternalErrors"/> and the event goes on unprocessed by it.
/// </summary>
public interface IEventProcessor
{
    /// <summary>Processes <paramref name="e"/>; returns <c>false</c> to drop it.</summary>
    bool Process(OxbowEvent e);
}

/// <summary>An <see cref="IEventProcessor"/> from a delegate.</summary>
public sealed class DelegateProcessor(Func<OxbowEvent, bool> process) : IEventProcessor
{
    /// <inheritdoc />
    public bool Process(OxbowEvent e) => process(e);
}
