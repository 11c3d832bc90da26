using Oxbow.Transport;

namespace Oxbow.Sinks;

/// <summary>Settings of a <see cref="NetworkSink"/>. Every default is stated.</summary>
public sealed class NetworkSinkOptions
{
    /// <summary>Connection, token, TLS, failover and retry settings. <see cref="BatchSenderOptions.Endpoints"/> is required.</summary>
    public BatchSenderOptions Transport { get; set; } = new();

    /// <summary>Largest batch sent in one frame. Default 1 MiB (a single larger event goes alone).</summary>
    public int MaxBatchBytes { get; set; } = 1024 * 1024;

    /// <summary>Bytes queued or in flight, at most; beyond it <see cref="FullMode"/> applies. Default 16 MiB.</summary>
    public long BufferCapacityBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>What happens when the buffer is full. Default <see cref="QueueFullMode.DropNewest"/>: drop and count.</summary>
    public QueueFullMode FullMode { get; set; } = QueueFullMode.DropNewest;

    /// <summary>How long disposal waits for queued events to be acknowledged. Default 10 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
