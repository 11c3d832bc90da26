using System.Globalization;
using System.Net;
using System.Text.Json;
using Oxbow.Daemon.Connections;
using Oxbow.Daemon.Spool;
using Oxbow.Transport;

namespace Oxbow.Daemon.Configuration;

/// <summary>
/// Settings of <c>oxbow serve</c>. Each one can come from a flag, an environment variable or a JSON config file
/// (<c>--config F</c> or <c>OXBOW_CONFIG</c>); flags win over the environment, which wins over the file. The table
/// of names is <see cref="Settings"/> and docs/daemon.md.
/// </summary>
public sealed class DaemonOptions
{
    /// <summary>Data directory: the store (collector) and the spool. Default <c>./oxbow-data</c>.</summary>
    public string DataDirectory { get; set; } = "oxbow-data";

    /// <summary>Binary-protocol ingest address. Default <c>127.0.0.1:3514</c>.</summary>
    public IPEndPoint Listen { get; set; } = new(IPAddress.Loopback, Protocol.DefaultIngestPort);

    /// <summary>HTTP control address (health, stats, metrics, HTTP ingest, tail, reroute, shutdown). Default <c>127.0.0.1:3513</c>.</summary>
    public IPEndPoint Control { get; set; } = new(IPAddress.Loopback, Protocol.DefaultControlPort);

    /// <summary>Upstreams; when set the daemon is an agent that forwards instead of storing. Default none.</summary>
    public IReadOnlyList<string> Forward { get; set; } = [];

    /// <summary>Token file (see <see cref="Auth.AccessPolicy"/>). Default none: loopback clients only.</summary>
    public string? TokenFile { get; set; }

    /// <summary>File holding the token this agent presents upstream. Default none.</summary>
    public string? ForwardTokenFile { get; set; }

    /// <summary>Whether an agent speaks TLS to its upstreams, trusting the system's certificate store. Default false.</summary>
    public bool ForwardTls { get; set; }

    /// <summary>
    /// PEM certificate that an agent trusts for its upstreams (pinned: a self-signed certificate works); setting it
    /// turns on <see cref="ForwardTls"/>. Default none.
    /// </summary>
    public string? ForwardTlsCertificate { get; set; }

    /// <summary>PEM certificate for TLS on the ingest port. Default none (plain TCP).</summary>
    public string? TlsCertificate { get; set; }

    /// <summary>PEM private key matching <see cref="TlsCertificate"/>.</summary>
    public string? TlsKey { get; set; }

    /// <summary>Spool size bound. Default 1 GiB.</summary>
    public long SpoolMaxBytes { get; set; } = 1L << 30;

    /// <summary>What a full spool does. Default backpressure.</summary>
    public SpoolFullPolicy SpoolFull { get; set; } = SpoolFullPolicy.Backpressure;

    /// <summary>Largest batch (frame payload or HTTP body, after decompression). Default 8 MiB.</summary>
    public int MaxBatchBytes { get; set; } = Protocol.DefaultMaxFrameBytes;

    /// <summary>Largest single event. Default 1 MiB.</summary>
    public int MaxEventBytes { get; set; } = 1 << 20;

    /// <summary>Seal a store file after it has been idle this long. Default 300 s.</summary>
    public TimeSpan SealAfterIdle { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long after an hour ends before a collector compacts it into Parquet in the background (one DuckDB thread);
    /// null turns background compaction off (<c>oxbow store zip</c> still works). Default 600 s, which leaves the
    /// hour's files time to be sealed (<see cref="SealAfterIdle"/>) first.
    /// </summary>
    public TimeSpan? CompactAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The most store files open at once; past it the least recently written is sealed. Default 256.</summary>
    public int MaxOpenFiles { get; set; } = 256;

    /// <summary>How old an event's <c>end</c> may be; older events are refused. Default null: any age, so backfills work.</summary>
    public TimeSpan? AcceptPast { get; set; }

    /// <summary>How far ahead of the clock an event's <c>end</c> may be; later events are refused. Default 1 day.</summary>
    public TimeSpan? AcceptFuture { get; set; } = TimeSpan.FromDays(1);

    /// <summary>A query's time on the control port unless its request names one. Default 60 s.</summary>
    public TimeSpan QueryTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// DuckDB's memory limit for queries, as DuckDB spells it (<c>2GB</c>, <c>512MiB</c>). Default a quarter of the
    /// memory the process may use (DuckDB's own default is 80 %: one large aggregation could take the host).
    /// </summary>
    public string QueryMemoryLimit { get; set; } = DefaultQueryMemory();

    /// <summary>
    /// Memory for the lookup indexes that let a query by trace id or id read only the files that may hold it. Default
    /// 256 MiB, about three bytes per distinct id and trace id (some 65M events); past it the least recently used are
    /// read from disk again when needed.
    /// </summary>
    public long LookupIndexMemory { get; set; } = 256L << 20;

    private static string DefaultQueryMemory() =>
        string.Create(CultureInfo.InvariantCulture, $"{Math.Max(256, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4 >> 20)}MiB");

    /// <summary>Bounds on connections: count per listener, idle and frame timeouts, the partial-data budget.</summary>
    public ConnectionLimitOptions Connections { get; set; } = new();

    /// <summary>Syslog over UDP (RFC 5424 and 3164, CEE payloads parsed) on this address. Default off.</summary>
    public IPEndPoint? SyslogUdp { get; set; }

    /// <summary>Syslog over TCP (octet-counted or LF-framed) on this address. Default off.</summary>
    public IPEndPoint? SyslogTcp { get; set; }

    /// <summary>
    /// Every syslog event's type is this or under it (<c>syslog.billing</c>): a sender with no token cannot write
    /// another type. Empty: types as sent. Default <c>syslog</c>.
    /// </summary>
    public string SyslogTypePrefix { get; set; } = "syslog";

    /// <summary>Source networks that may send syslog. Default loopback only.</summary>
    public IReadOnlyList<System.Net.IPNetwork> SyslogAllow { get; set; } = Syslog.SyslogPolicy.LoopbackNetworks;

    /// <summary>The UDP syslog socket's kernel receive buffer: what absorbs a burst. Default 8 MiB.</summary>
    public int SyslogUdpBuffer { get; set; } = 8 << 20;

    /// <summary>Event type of syslog messages whose CEE payload names none. Default <c>syslog</c>.</summary>
    public string SyslogType { get; set; } = "syslog";

    /// <summary>
    /// Directory of JSON Schemas, <c>&lt;type&gt;.schema.json</c>, that a collector checks event bodies against;
    /// failures go to the <c>dead_letter</c> stream (HTTP ingest answers 400 instead). Default none.
    /// </summary>
    public string? SchemaDirectory { get; set; }

    /// <summary>This daemon's name in stats and HELLO. Default the host name.</summary>
    public string Name { get; set; } = Environment.MachineName;

    /// <summary>OTLP/HTTP listener; null (the default) for none.</summary>
    public IPEndPoint? Otlp { get; set; }

    /// <summary>OTLP/gRPC listener (HTTP/2 without TLS unless <c>--tls-cert</c>); null (the default) for none.</summary>
    public IPEndPoint? OtlpGrpc { get; set; }

    /// <summary>Type of OTLP log records without a valid <c>event.name</c>. Default <c>otel.log</c>.</summary>
    public string OtlpLogType { get; set; } = "otel.log";

    /// <summary>
    /// Type of events that arrive on the Seq-compatible endpoints (<c>/api/events/raw</c>, <c>/ingest/clef</c>) with
    /// a key not scoped to exactly one type. Default <c>log</c>.
    /// </summary>
    public string SeqType { get; set; } = "log";

    /// <summary>Whether the daemon forwards (an agent) rather than stores (a collector).</summary>
    public bool IsAgent => Forward.Count > 0;

    /// <summary>Every setting: flag, environment variable, config-file key, and how to apply a value.</summary>
    public static IReadOnlyList<Setting> Settings { get; } =
    [
        new("data", "OXBOW_DATA", "data directory (store and spool)", (o, v) => o.DataDirectory = v),
        new("listen", "OXBOW_LISTEN", "binary ingest address host:port", (o, v) => o.Listen = ParseEndPoint(v)),
        new("control", "OXBOW_CONTROL", "HTTP control address host:port", (o, v) => o.Control = ParseEndPoint(v)),
        new("forward", "OXBOW_FORWARD", "upstreams host:port[,host:port…]; makes an agent", (o, v) => o.Forward = SplitList(v)),
        new("token-file", "OXBOW_TOKEN_FILE", "token file; without one only loopback clients are accepted", (o, v) => o.TokenFile = v),
        new("forward-token-file", "OXBOW_FORWARD_TOKEN_FILE", "file with the token presented upstream", (o, v) => o.ForwardTokenFile = v),
        new("forward-tls", "OXBOW_FORWARD_TLS", "true: TLS to upstreams, trusting the system store", (o, v) => o.ForwardTls = ParseBool(v)),
        new("forward-tls-cert", "OXBOW_FORWARD_TLS_CERT", "PEM certificate to trust (pin) for upstreams; implies --forward-tls", (o, v) =>
        {
            o.ForwardTlsCertificate = v;
            o.ForwardTls = true;
        }),
        new("tls-cert", "OXBOW_TLS_CERT", "PEM certificate: TLS on the ingest port", (o, v) => o.TlsCertificate = v),
        new("tls-key", "OXBOW_TLS_KEY", "PEM private key for --tls-cert", (o, v) => o.TlsKey = v),
        new("spool-max-bytes", "OXBOW_SPOOL_MAX_BYTES", "spool size bound in bytes", (o, v) => o.SpoolMaxBytes = ParseInteger(v, 1L << 20, long.MaxValue, "bytes")),
        new("spool-full", "OXBOW_SPOOL_FULL", "backpressure | drop-oldest", (o, v) => o.SpoolFull = v switch
        {
            "backpressure" => SpoolFullPolicy.Backpressure,
            "drop-oldest" => SpoolFullPolicy.DropOldest,
            _ => throw new FormatException($"spool-full must be backpressure or drop-oldest, not '{v}'"),
        }),
        new("max-batch-bytes", "OXBOW_MAX_BATCH_BYTES", "largest batch in bytes", (o, v) => o.MaxBatchBytes = (int)ParseInteger(v, 1024, Protocol.DefaultMaxFrameBytes - Protocol.BatchIdLength - 64, "bytes")),
        new("max-event-bytes", "OXBOW_MAX_EVENT_BYTES", "largest event in bytes", (o, v) => o.MaxEventBytes = (int)ParseInteger(v, 256, Protocol.DefaultMaxFrameBytes, "bytes")),
        new("compact-after", "OXBOW_COMPACT_AFTER", "seconds after an hour ends before it is compacted into Parquet, or off", (o, v) => o.CompactAfter = v is "off" or "false" ? null : ParseSeconds(v, 0, 30 * 86400)),
        new("seal-after", "OXBOW_SEAL_AFTER", "seconds of idleness before a store file is sealed", (o, v) => o.SealAfterIdle = ParseSeconds(v, 0.1, 86400)),
        new("max-open-files", "OXBOW_MAX_OPEN_FILES", "most store files open at once; the least recently written is sealed beyond it", (o, v) => o.MaxOpenFiles = (int)ParseInteger(v, 1, 100_000, "files")),
        new("accept-past", "OXBOW_ACCEPT_PAST", "seconds an event's end may lie before the clock, or off (any age)", (o, v) => o.AcceptPast = v is "off" ? null : ParseSeconds(v, 60, 100 * 366 * 86400.0)),
        new("accept-future", "OXBOW_ACCEPT_FUTURE", "seconds an event's end may lie after the clock, or off", (o, v) => o.AcceptFuture = v is "off" ? null : ParseSeconds(v, 60, 100 * 366 * 86400.0)),
        new("query-timeout", "OXBOW_QUERY_TIMEOUT", "seconds a query may run on the control port unless its request says otherwise", (o, v) => o.QueryTimeout = ParseSeconds(v, 0.1, 86400)),
        new("query-memory", "OXBOW_QUERY_MEMORY", "DuckDB memory limit for queries, such as 2GB (default a quarter of memory)", (o, v) => o.QueryMemoryLimit =
            System.Text.RegularExpressions.Regex.IsMatch(v, @"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", System.Text.RegularExpressions.RegexOptions.IgnoreCase) ? v : throw new FormatException($"'{v}' is not a size such as 512MiB or 2GB")),
        new("lookup-index-memory", "OXBOW_LOOKUP_INDEX_MEMORY", "bytes of lookup indexes (ids, trace ids) queries keep in memory", (o, v) => o.LookupIndexMemory = ParseInteger(v, 1L << 20, long.MaxValue, "bytes")),
        new("max-connections", "OXBOW_MAX_CONNECTIONS", "connections open at once per listener (binary ingest, syslog TCP)", (o, v) => o.Connections = o.Connections.With(max: (int)ParseInteger(v, 1, 1_000_000, "connections"))),
        new("idle-timeout", "OXBOW_IDLE_TIMEOUT", "seconds a connection may send nothing between frames before it is closed", (o, v) => o.Connections = o.Connections.With(idle: ParseSeconds(v, 1, 86400))),
        new("frame-timeout", "OXBOW_FRAME_TIMEOUT", "seconds a frame or syslog message begun has to arrive whole", (o, v) => o.Connections = o.Connections.With(frame: ParseSeconds(v, 1, 3600))),
        new("partial-bytes-budget", "OXBOW_PARTIAL_BYTES_BUDGET", "bytes of partly received frames and bodies held across all connections", (o, v) => o.Connections = o.Connections.With(budget: ParseInteger(v, 1L << 20, long.MaxValue, "bytes"))),
        new("syslog-udp", "OXBOW_SYSLOG_UDP", "syslog over UDP on host:port (off by default)", (o, v) => o.SyslogUdp = ParseEndPoint(v)),
        new("syslog-tcp", "OXBOW_SYSLOG_TCP", "syslog over TCP on host:port (off by default)", (o, v) => o.SyslogTcp = ParseEndPoint(v)),
        new("syslog-type-prefix", "OXBOW_SYSLOG_TYPE_PREFIX", "types syslog senders may write: this prefix and under it (off: as sent)", (o, v) => o.SyslogTypePrefix = v is "off" ? "" : Oxbow.EventType.IsValid(v) ? v : throw new FormatException($"'{v}' is not a valid type name")),
        new("syslog-allow", "OXBOW_SYSLOG_ALLOW", "networks that may send syslog: CIDR[,CIDR…], loopback, any", (o, v) => o.SyslogAllow = Syslog.SyslogPolicy.ParseNetworks(v)),
        new("syslog-udp-buffer", "OXBOW_SYSLOG_UDP_BUFFER", "kernel receive buffer of the UDP syslog socket, bytes", (o, v) => o.SyslogUdpBuffer = (int)ParseInteger(v, 4096, 1 << 30, "bytes")),
        new("syslog-type", "OXBOW_SYSLOG_TYPE", "event type of syslog messages that name none", (o, v) => o.SyslogType = Oxbow.EventType.IsValid(v) ? v : throw new FormatException($"'{v}' is not a valid type name")),
        new("otlp", "OXBOW_OTLP", "OTLP/HTTP (logs and traces) on host:port, such as 127.0.0.1:4318 (off by default)", (o, v) => o.Otlp = ParseEndPoint(v)),
        new("otlp-grpc", "OXBOW_OTLP_GRPC", "OTLP/gRPC (logs and traces) on host:port, such as 127.0.0.1:4317 (off by default)", (o, v) => o.OtlpGrpc = ParseEndPoint(v)),
        new("otlp-log-type", "OXBOW_OTLP_LOG_TYPE", "event type of OTLP log records without a valid event.name", (o, v) => o.OtlpLogType = Oxbow.EventType.IsValid(v) ? v : throw new FormatException($"'{v}' is not a valid type name")),
        new("seq-type", "OXBOW_SEQ_TYPE", "event type of events sent to the Seq-compatible endpoints by a key not scoped to one type", (o, v) => o.SeqType = Oxbow.EventType.IsValid(v) ? v : throw new FormatException($"'{v}' is not a valid type name")),
        new("schemas", "OXBOW_SCHEMAS", "directory of <type>.schema.json files that event bodies are checked against", (o, v) => o.SchemaDirectory = v),
        new("name", "OXBOW_NAME", "daemon name in stats", (o, v) => o.Name = v),
    ];

    /// <summary>Builds options from a config file, then the environment, then flags (<c>--name value</c> pairs already split).</summary>
    /// <exception cref="FormatException">A value is malformed; the message names the setting and its source.</exception>
    public static DaemonOptions Load(IReadOnlyDictionary<string, string> flags, Func<string, string?> environment)
    {
        var options = new DaemonOptions();
        var configPath = flags.GetValueOrDefault("config") ?? environment("OXBOW_CONFIG");
        if (configPath is not null)
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(configPath));
            foreach (var property in document.RootElement.EnumerateObject())
            {
                var setting = Settings.FirstOrDefault(s => s.Flag == property.Name)
                    ?? throw new FormatException($"{configPath}: unknown setting '{property.Name}'");
                var value = property.Value.ValueKind switch
                {
                    JsonValueKind.Array => string.Join(',', property.Value.EnumerateArray().Select(e => e.ToString())),
                    _ => property.Value.ToString(),
                };
                Apply(setting, options, value, $"{configPath}: {property.Name}");
            }
        }

        foreach (var setting in Settings)
        {
            if (environment(setting.Environment) is { Length: > 0 } value)
            {
                Apply(setting, options, value, setting.Environment);
            }
        }

        foreach (var (flag, value) in flags)
        {
            if (flag == "config")
            {
                continue;
            }

            var setting = Settings.FirstOrDefault(s => s.Flag == flag) ?? throw new FormatException($"unknown option --{flag}");
            Apply(setting, options, value, "--" + flag);
        }

        if (options.SyslogTypePrefix.Length > 0 && new Syslog.SyslogPolicy("", options.SyslogTypePrefix, []).Confine(options.SyslogType) != options.SyslogType)
        {
            // A default type outside the prefix would be moved under it without a word: say so instead.
            options.SyslogType = options.SyslogType == "syslog" ? options.SyslogTypePrefix
                : throw new FormatException($"--syslog-type {options.SyslogType} is outside --syslog-type-prefix {options.SyslogTypePrefix}");
        }

        if ((options.TlsCertificate is null) != (options.TlsKey is null))
        {
            throw new FormatException("--tls-cert and --tls-key go together");
        }

        return options;
    }

    private static void Apply(Setting setting, DaemonOptions options, string value, string source)
    {
        try
        {
            setting.Apply(options, value);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            throw new FormatException($"{source}: {ex.Message}", ex);
        }
    }

    /// <summary>Parses <c>host:port</c> where host is an IP address or <c>localhost</c>.</summary>
    public static IPEndPoint ParseEndPoint(string text)
    {
        var (host, port) = BatchSender.ParseEndpoint(text);
        if (host == "localhost")
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }

        return IPAddress.TryParse(host, out var address)
            ? new IPEndPoint(address, port)
            : throw new FormatException($"'{text}' is not ip:port");
    }

    /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>]; anything else is a <see cref="FormatException"/> that says the range.</summary>
    public static long ParseInteger(string value, long min, long max, string unit)
    {
        if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
        {
            throw new FormatException($"'{value}' is not a whole number of {unit} from {min} to {max}");
        }

        return n;
    }

    /// <summary>Seconds in [<paramref name="min"/>, <paramref name="max"/>], fractions allowed; NaN, infinities and negatives out of range are refused.</summary>
    public static TimeSpan ParseSeconds(string value, double min, double max)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || !(seconds >= min && seconds <= max))
        {
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"'{value}' is not a number of seconds from {min} to {max}"));
        }

        return TimeSpan.FromSeconds(seconds);
    }

    private static bool ParseBool(string value) => value switch
    {
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        _ => throw new FormatException($"expected true or false, not '{value}'"),
    };

    private static string[] SplitList(string value)
    {
        var list = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var endpoint in list)
        {
            _ = BatchSender.ParseEndpoint(endpoint);
        }

        return list;
    }

    /// <summary>One setting's names and how to apply it.</summary>
    public sealed record Setting(string Flag, string Environment, string Description, Action<DaemonOptions, string> Apply);
}
