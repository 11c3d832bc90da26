using System.Globalization;

namespace Oxbow.Daemon.Syslog;

/// <summary>One structured-data element of an RFC 5424 message: its SD-ID and its parameters, in order.</summary>
internal sealed record StructuredDataElement(string Id, IReadOnlyList<KeyValuePair<string, string>> Parameters);

/// <summary>A parsed syslog message, RFC 5424 or RFC 3164. Absent (nil) header fields are null.</summary>
internal sealed record SyslogMessage(
    int Facility,
    int Severity,
    DateTimeOffset? Time,
    string? Host,
    string? App,
    string? ProcessId,
    string? MessageId,
    IReadOnlyList<StructuredDataElement> StructuredData,
    string Message)
{
    private static readonly string[] FacilityNames =
    [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
        "ntp", "security", "console", "solaris-cron", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
    ];

    private static readonly string[] SeverityNames = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

    /// <summary>The facility's keyword (RFC 5424 table 1, with the names rsyslog uses).</summary>
    public string FacilityName => FacilityNames[Facility];

    /// <summary>The severity's keyword.</summary>
    public string SeverityName => SeverityNames[Severity];

    /// <summary>Oxbow's level for the severity: debug 7, info 6 and 5, warning 4, error 3, critical 2 to 0.</summary>
    public OxLevel Level => Severity switch
    {
        7 => OxLevel.Debug,
        6 or 5 => OxLevel.Info,
        4 => OxLevel.Warning,
        3 => OxLevel.Error,
        _ => OxLevel.Critical,
    };

    /// <summary>The process id when the PROCID is a number.</summary>
    public int? Pid => int.TryParse(ProcessId, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
}
