namespace Oxbow.Daemon.Stats;

/// <summary>
/// Names of the counters kept by inputs and checks other than the binary protocol (whose refusals are counted by
/// <see cref="Transport.RejectReason"/>). Each appears in <c>/v1/stats</c> under <c>counters</c> and in
/// <c>/metrics</c> as <c>oxbow_&lt;name&gt;_total</c>.
/// </summary>
internal static class DaemonCounters
{
    /// <summary>Syslog messages received (UDP and TCP), before parsing.</summary>
    public const string SyslogReceived = "syslog_received";

    /// <summary>Syslog messages stored or forwarded as events.</summary>
    public const string SyslogAccepted = "syslog_accepted";

    /// <summary>Syslog messages that could not be parsed (bad PRI, a broken RFC 5424 header or structured data): dropped.</summary>
    public const string SyslogMalformed = "syslog_malformed";

    /// <summary>Syslog messages over the event size limit: dropped.</summary>
    public const string SyslogOversized = "syslog_oversized";

    /// <summary>Syslog messages whose invalid UTF-8 was replaced by U+FFFD and kept.</summary>
    public const string SyslogRepairedUtf8 = "syslog_repaired_utf8";

    /// <summary>Syslog messages dropped because the spool was full or failed (UDP has no way to push back).</summary>
    public const string SyslogDropped = "syslog_dropped";

    /// <summary>Syslog datagrams the kernel dropped because the UDP receive buffer was full (also in <see cref="SyslogDropped"/>).</summary>
    public const string SyslogKernelDropped = "syslog_kernel_dropped";

    /// <summary>Syslog messages from a sender outside the allowed networks (<c>syslog-allow</c>): dropped.</summary>
    public const string SyslogUnauthorized = "syslog_unauthorized";

    /// <summary>Events that failed their stream's schema and went to the dead-letter stream instead.</summary>
    public const string SchemaInvalid = "schema_invalid";

    /// <summary>Events refused because their <c>end</c> was outside the accepted window (accept-past, accept-future).</summary>
    public const string OutsideWindow = "events_outside_window";

    /// <summary>Events stored with keys renamed so DuckDB can read them (empty, or equal to another ignoring case).</summary>
    public const string KeysRepaired = "events_keys_repaired";

    /// <summary>Connections refused because their listener had <c>max-connections</c> open.</summary>
    public const string ConnectionsRefused = "connections_refused";

    /// <summary>Connections closed after <c>idle-timeout</c> without a byte between frames.</summary>
    public const string ConnectionsIdleClosed = "connections_idle_closed";

    /// <summary>Connections ended because a frame (or syslog message) begun was not complete within <c>frame-timeout</c>.</summary>
    public const string ConnectionsFrameTimeout = "connections_frame_timeout";

    /// <summary>Connections or HTTP bodies refused because partly received data would pass <c>partial-bytes-budget</c>.</summary>
    public const string PartialBudgetRefused = "partial_budget_refused";

    /// <summary>One line of help for <c>/metrics</c>.</summary>
    public static string Help(string name) => name switch
    {
        SyslogReceived => "Syslog messages received (UDP and TCP).",
        SyslogAccepted => "Syslog messages accepted as events.",
        SyslogMalformed => "Syslog messages that could not be parsed, dropped.",
        SyslogOversized => "Syslog messages over the event size limit, dropped.",
        SyslogRepairedUtf8 => "Syslog messages whose invalid UTF-8 was replaced and kept.",
        SyslogDropped => "Syslog messages dropped because the spool was full or failed.",
        SyslogUnauthorized => "Syslog messages from senders outside syslog-allow, dropped.",
        SyslogKernelDropped => "Syslog datagrams the kernel dropped because the UDP receive buffer was full.",
        SchemaInvalid => "Events that failed their stream's schema, sent to the dead-letter stream.",
        OutsideWindow => "Events refused because their end time was outside the accepted window.",
        KeysRepaired => "Events stored with keys renamed (empty, or equal to another ignoring case).",
        ConnectionsRefused => "Connections refused because their listener was at max-connections.",
        ConnectionsIdleClosed => "Connections closed after idle-timeout without a byte.",
        ConnectionsFrameTimeout => "Connections ended because a frame begun was not complete within frame-timeout.",
        PartialBudgetRefused => "Connections or bodies refused because partly received data would pass the memory budget.",
        _ => name,
    };
}
