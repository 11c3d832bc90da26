using System.Security.Cryptography.X509Certificates;

namespace Oxbow.Transport;

/// <summary>Settings of a <see cref="BatchSender"/>. Every default is stated.</summary>
internal sealed class BatchSenderOptions
{
    /// <summary>Receivers as <c>host:port</c>, in order of preference. The sender uses the first that accepts it and fails over to the next. Required.</summary>
    public IReadOnlyList<string> Endpoints { get; set; } = [];

    /// <summary>The ingest token sent in HELLO. Default empty (for a daemon without a token file, on loopback).</summary>
    public string Token { get; set; } = "";

    /// <summary>A name for the receiver's stats. Default <c>process@machine</c>; every caller in Oxbow names itself.</summary>
    public string ClientName { get; set; } = $"{AppDomain.CurrentDomain.FriendlyName}@{Environment.MachineName}";

    /// <summary>Whether to speak TLS. Default false.</summary>
    public bool UseTls { get; set; }

    /// <summary>With TLS, a certificate to trust for the receiver (pinning, for self-signed certificates). Default null: the system's trust store.</summary>
    public X509Certificate2? TrustedCertificate { get; set; }

    /// <summary>How long one connection attempt may take. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A connection with batches in flight and no answer for this long is considered dead. Default 30 s.</summary>
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Batches sent but not yet acknowledged, at most. Default 16.</summary>
    public int MaxInFlightBatches { get; set; } = 16;

    /// <summary>First wait after every endpoint failed; it doubles up to <see cref="MaxBackoff"/>. Default 100 ms.</summary>
    public TimeSpan MinBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest wait between rounds of connection attempts. Default 5 s.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether to gzip batch data of 4 KiB or more. Default false: on a LAN, CPU costs more than bytes.</summary>
    public bool Compress { get; set; }
}
