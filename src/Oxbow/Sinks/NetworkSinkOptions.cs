using System.Security.Cryptography.X509Certificates;
using Oxbow.Transport;

namespace Oxbow.Sinks;

/// <summary>Settings of a <see cref="NetworkSink"/>. Every default is stated.</summary>
public sealed class NetworkSinkOptions
{
    /// <summary>Receivers as <c>host:port</c>, in order of preference: the sink uses the first that accepts it and fails over to the next. Required.</summary>
    public IReadOnlyList<string> Endpoints { get; set; } = [];

    /// <summary>The ingest token (docs/daemon.md). Default empty, for a daemon without a token file on loopback.</summary>
    public string Token { get; set; } = "";

    /// <summary>A name for the receiver's stats. Default empty: <c>app@host</c> of the pipeline (<see cref="OxbowOptions.WriteToOxbow"/>) or of the process.</summary>
    public string ClientName { get; set; } = "";

    /// <summary>Whether to speak TLS. Default false.</summary>
    public bool UseTls { get; set; }

    /// <summary>With TLS, a certificate to trust for the receiver (pinning, for self-signed certificates). Default null: the system's trust store.</summary>
    public X509Certificate2? TrustedCertificate { get; set; }

    /// <summary>How long one connection attempt may take. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A connection with batches in flight and no answer for this long is considered dead. Default 30 s.</summary>
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Batches sent and not yet acknowledged, at most. Default 16.</summary>
    public int MaxInFlightBatches { get; set; } = 16;

    /// <summary>First wait after every endpoint failed; it doubles up to <see cref="MaxBackoff"/>. Default 100 ms.</summary>
    public TimeSpan MinBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest wait between rounds of connection attempts. Default 5 s.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether to gzip batch data of 4 KiB or more. Default false: on a LAN, CPU costs more than bytes.</summary>
    public bool Compress { get; set; }

    /// <summary>Largest batch sent in one frame. Default 1 MiB (a single larger event goes alone).</summary>
    public int MaxBatchBytes { get; set; } = 1024 * 1024;

    /// <summary>Bytes queued or in flight, at most; beyond it <see cref="FullMode"/> applies. Default 16 MiB.</summary>
    public long BufferCapacityBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>What happens when the buffer is full. Default <see cref="QueueFullMode.DropNewest"/>: drop and count.</summary>
    public QueueFullMode FullMode { get; set; } = QueueFullMode.DropNewest;

    /// <summary>How long disposal waits for queued events to be acknowledged. Default 10 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    internal BatchSenderOptions ToSenderOptions()
    {
        var sender = new BatchSenderOptions
        {
            Endpoints = Endpoints,
            Token = Token,
            UseTls = UseTls,
            TrustedCertificate = TrustedCertificate,
            ConnectTimeout = ConnectTimeout,
            AckTimeout = AckTimeout,
            MaxInFlightBatches = MaxInFlightBatches,
            MinBackoff = MinBackoff,
            MaxBackoff = MaxBackoff,
            Compress = Compress,
        };
        sender.ClientName = ClientName is { Length: > 0 } ? ClientName : $"{ProcessIdentity.Current.App}@{ProcessIdentity.Current.Host}";
        return sender;
    }
}
