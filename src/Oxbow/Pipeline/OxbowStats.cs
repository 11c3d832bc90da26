namespace Oxbow;

/// <summary>Counters of the pipeline since it was configured.</summary>
/// <param name="Enqueued">Events accepted into the queue.</param>
/// <param name="Written">Events handed to the sinks.</param>
/// <param name="DroppedQueueFull">Events dropped because the queue was full (<see cref="QueueFullMode.DropNewest"/>).</param>
/// <param name="DroppedOversized">Events dropped because they exceeded <see cref="OxbowOptions.MaxEventBytes"/>.</param>
/// <param name="DroppedByProcessor">Events an <see cref="IEventProcessor"/> chose to drop.</param>
/// <param name="SinkErrors">Exceptions thrown by sinks.</param>
/// <param name="InternalErrors">Exceptions inside Oxbow that were swallowed to protect the application.</param>
/// <param name="ValueErrors">
/// Field values whose own code threw while being read (a <c>ToString()</c>, a property getter, an enumerator): each was
/// written as <c>&lt;error: ExceptionType&gt;</c> and the rest of its event was kept.
/// </param>
public sealed record OxbowStats(
    long Enqueued,
    long Written,
    long DroppedQueueFull,
    long DroppedOversized,
    long DroppedByProcessor,
    long SinkErrors,
    long InternalErrors,
    long ValueErrors)
{
    /// <summary>All zero: what an unconfigured Oxbow reports.</summary>
    public static OxbowStats Empty { get; } = new(0, 0, 0, 0, 0, 0, 0, 0);
}
