using Oxbow.Transport;

namespace Oxbow.Daemon.Spool;

/// <summary>An append waiting for the writer: the batch, and the task its sender awaits.</summary>
internal sealed class PendingAppend(BatchId id, int eventCount, ReadOnlyMemory<byte> data)
{
    public BatchId Id { get; } = id;

    public int EventCount { get; } = eventCount;

    public ReadOnlyMemory<byte> Data { get; } = data;

    /// <summary>What the writer decided while writing the group; the sender hears it once the group is durable.</summary>
    public AppendResult Result { get; set; }

    public TaskCompletionSource<AppendResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
