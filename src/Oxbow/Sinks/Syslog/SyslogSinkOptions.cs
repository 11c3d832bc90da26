using System.Security.Cryptography.X509Certificates;

namespace Oxbow.Sinks.Syslog;

/// <summary>The syslog message format.</summary>
public enum SyslogFormat
{
    /// <summary>RFC 5424: full timestamp with microseconds and offset, structured data, message id.</summary>
    Rfc5424,

    /// <summary>RFC 3164 (BSD): <c>Mmm dd HH:mm:ss host tag[pid]: msg</c>, second precision, no year or zone.</summary>
    Rfc3164,
}

/// <summary>How syslog messages travel.</summary>
public enum SyslogTransport
{
    /// <summary>UDP (RFC 5426): one message per datagram, at most <see cref="SyslogSinkOptions.MaxDatagramBytes"/>.</summary>
    Udp,

    /// <summary>TCP with octet-counting framing (RFC 6587): <c>LENGTH SP MESSAGE</c>.</summary>
    Tcp,

    /// <summary>TLS (RFC 5425) with octet-counting framing.</summary>
    Tls,
}

/// <summary>Settings of a <see cref="SyslogSink"/>. Every default is stated.</summary>
public sealed class SyslogSinkOptions
{
    /// <summary>Receiver host name or address. Default <c>127.0.0.1</c>.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Receiver port. Default 514 (UDP and TCP); RFC 5425 suggests 6514 for TLS.</summary>
    public int Port { get; set; } = 514;

    /// <summary>Transport. Default <see cref="SyslogTransport.Udp"/>.</summary>
    public SyslogTransport Transport { get; set; } = SyslogTransport.Udp;

    /// <summary>Message format. Default <see cref="SyslogFormat.Rfc5424"/>.</summary>
    public SyslogFormat Format { get; set; } = SyslogFormat.Rfc5424;

    /// <summary>Syslog facility, 0–23 (the PRI is facility × 8 + severity). Default 1 (user).</summary>
    public int Facility { get; set; } = 1;

    /// <summary>
    /// Zone for the header and CEE <c>time</c>. Default UTC. RFC 5424 carries the offset; RFC 3164 has no zone at
    /// all, so a 3164 receiver reads the time in its own zone: set this to the receiver's zone.
    /// </summary>
    public TimeZoneInfo TimeZone { get; set; } = TimeZoneInfo.Utc;

    /// <summary>
    /// Whether the message is <c>@cee: {json}</c> with every field (CEE, parsed by rsyslog's <c>mmjsonparse</c>);
    /// false sends the event's message text only. Default true.
    /// </summary>
    public bool Cee { get; set; } = true;

    /// <summary>
    /// RFC 5424 structured-data element id. Default <c>oxbow@32473</c> (32473 is the private enterprise number that
    /// RFC 5612 reserves for documentation; use your own if you have one).
    /// </summary>
    public string StructuredDataId { get; set; } = "oxbow@32473";

    /// <summary>Body fields (top-level keys) also copied into the structured data as parameters. Default none.</summary>
    public IList<string> StructuredDataFields { get; } = [];

    /// <summary>
    /// Largest UDP datagram. Default null: 2048 for RFC 5424, what RFC 5426 says every receiver should accept, and
    /// 1024 for RFC 3164, its section 4.1 limit. A larger event loses body fields from its end (the CEE JSON stays
    /// valid and says how many in <c>oxbow_truncated</c>), and is counted.
    /// </summary>
    public int? MaxDatagramBytes { get; set; }

    /// <summary>The datagram limit in force: <see cref="MaxDatagramBytes"/>, else the format's default.</summary>
    internal int EffectiveMaxDatagramBytes => MaxDatagramBytes ?? (Format == SyslogFormat.Rfc3164 ? 1024 : 2048);

    /// <summary>Certificate trusted for TLS (pinned: a self-signed one works); null trusts the system store. Default null.</summary>
    public X509Certificate2? TrustedCertificate { get; set; }

    /// <summary>Name checked against the server's certificate. Default <see cref="Host"/>.</summary>
    public string? TlsServerName { get; set; }

    /// <summary>How long a TCP/TLS connect may take. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// After a failed connect or write, how long the sink drops (and counts) events before it tries to connect again.
    /// Default 2 s. The writer thread never waits longer than <see cref="ConnectTimeout"/> for a connection.
    /// </summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(2);
}
