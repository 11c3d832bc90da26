using Oxbow.Rendering;
using Oxbow.Sinks;

namespace Oxbow;

/// <summary>
/// Everything <see cref="Ox.Configure(Action{OxbowOptions})"/> sets up. Each property documents its default and, where it has one, the
/// environment variable that supplies the default (read by <see cref="FromEnvironment()"/>, which
/// <see cref="Ox.Configure(Action{OxbowOptions})"/> calls before your code runs, so code always has the last word).
/// </summary>
public sealed class OxbowOptions
{
    /// <summary>Service name in every event's <c>app</c>. Default: <c>OXBOW_APP</c>, else the entry assembly's name.</summary>
    public string App { get; set; } = ProcessIdentity.Current.App;

    /// <summary>Host name in every event's <c>host</c>. Default: <c>OXBOW_HOSTNAME</c>, else the machine name.</summary>
    public string Host { get; set; } = ProcessIdentity.Current.Host;

    /// <summary>Events below this level cost a single comparison and are never built. Default: <c>OXBOW_LEVEL</c>, else <see cref="OxLevel.Info"/>.</summary>
    public OxLevel MinimumLevel { get; set; } = OxLevel.Info;

    /// <summary>
    /// Minimum levels by category, overriding <see cref="MinimumLevel"/>: the key is a category or a prefix of one
    /// (<c>Microsoft</c>, <c>Microsoft.*</c> and <c>Microsoft.</c> all match <c>Microsoft.AspNetCore.Hosting</c>), and the
    /// longest matching key wins. A category is a logger's name: <see cref="Ox.GetLogger"/>, an <c>ILogger</c>'s
    /// category. Default: empty. Ordinal, case-sensitive keys.
    /// </summary>
    public IDictionary<string, OxLevel> Levels { get; } = new Dictionary<string, OxLevel>(StringComparer.Ordinal);

    /// <summary>
    /// Outputs. Default: <c>OXBOW_FILE</c> adds a <see cref="RollingFileSink"/> (JSON lines) at that path;
    /// <c>OXBOW_CONSOLE</c> (<c>pretty</c>, <c>json</c>, <c>logfmt</c>, <c>cee</c> or <c>off</c>) adds a console sink.
    /// When the list is still empty after your code ran, a <c>pretty</c> console sink is added.
    /// </summary>
    public IList<IEventSink> Sinks { get; } = [];

    /// <summary>Enrichers and filters, run in order on the calling thread. Default: none (which keeps log calls allocation-free).</summary>
    public IList<IEventProcessor> Processors { get; } = [];

    /// <summary>Which keys are redacted. Default: <see cref="RedactionPolicy.Default"/> plus the comma-separated patterns in <c>OXBOW_REDACT</c>.</summary>
    public RedactionPolicy Redaction { get; set; } = RedactionPolicy.Default;

    /// <summary>
    /// Bytes of encoded events the queue starts with. When a burst outgrows it, a dropping queue grows sixteen-fold in one step (copying is what a growth costs), up to
    /// <see cref="QueueMaxBytes"/>, and shrinks back once batches are small again; a waiting queue stays this size. Default: <c>OXBOW_QUEUE_BYTES</c>, else 4 MiB.
    /// </summary>
    public int QueueCapacityBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Bytes of encoded events the queue may grow to before it drops events (<see cref="QueueFullMode.DropNewest"/>);
    /// memory use is at most twice this (the queue and the batch being written), and only during a burst. Set it to
    /// <see cref="QueueCapacityBytes"/> for a queue that never grows. A <see cref="QueueFullMode.Wait"/> queue never
    /// grows: its callers wait instead. Default: <c>OXBOW_QUEUE_MAX_BYTES</c>, else 256 MiB: a burst of a million
    /// typical events (up to about 250 bytes each) fits even while the sinks make no progress, so the default loses
    /// nothing to bursts.
    /// </summary>
    public int QueueMaxBytes { get; set; } = 256 * 1024 * 1024;

    /// <summary>What a call does when the queue is full (at <see cref="QueueMaxBytes"/>). Default: <c>OXBOW_QUEUE_FULL</c> (<c>drop</c> or <c>wait</c>), else <see cref="QueueFullMode.DropNewest"/>.</summary>
    public QueueFullMode QueueFullMode { get; set; } = QueueFullMode.DropNewest;

    /// <summary>
    /// How long the background writer lets a batch build up after the first event arrives before writing it
    /// (it writes sooner when the queue is a quarter full, on <see cref="Ox.Flush"/> and at shutdown).
    /// Longer means fewer, larger writes; it is also the most an event waits in the queue on a quiet system. For a second
    /// after each batch the writer looks for events once per interval by itself, so logging threads do not have to wake
    /// it; after that it sleeps until the next event. Default: 2 ms.
    /// </summary>
    public TimeSpan BatchInterval { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Encoded events larger than this are dropped and counted in <see cref="OxbowStats.DroppedOversized"/>. Default: 1 MiB.</summary>
    public int MaxEventBytes { get; set; } = 1024 * 1024;

    /// <summary>Clock for timestamps and timers. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Source of uniform numbers in [0, 1) for sampling; must be thread-safe. Default: <see cref="Random.Shared"/>.</summary>
    public Func<double> SampleSource { get; set; } = Random.Shared.NextDouble;

    /// <summary>
    /// Where sink failures are reported: the first failure of each sink at once (what failed, how many events were
    /// lost), then one summary a minute. Null silences them. Default: <see cref="Console.Error"/>, or null when
    /// <c>OXBOW_SINK_ERRORS</c> is <c>off</c>. The counts are in <see cref="Ox.Stats"/> either way.
    /// </summary>
    public TextWriter? SinkFailureOutput { get; set; } = Console.Error;

    /// <summary>How long shutdown and process exit wait for the queue to drain. Default: 10 seconds.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Adds a sink that receives every event the levels let through.</summary>
    public OxbowOptions WriteTo(IEventSink sink) => WriteTo(sink, OxLevel.Trace);

    /// <summary>
    /// Adds a sink that receives only events at or above <paramref name="minimumLevel"/> (and allowed by
    /// <see cref="MinimumLevel"/> and <see cref="Levels"/>). A sink's level can change while the application runs
    /// (<see cref="OxbowPipeline.UpdateLevels"/>) without rebuilding the sink.
    /// </summary>
    public OxbowOptions WriteTo(IEventSink sink, OxLevel minimumLevel)
    {
        ArgumentNullException.ThrowIfNull(sink);
        Sinks.Add(sink);
        _sinkLevels[sink] = minimumLevel;
        return this;
    }

    /// <summary>Adds a console sink (standard output) with <paramref name="renderer"/> (default: the human format) taking events at or above <paramref name="minimumLevel"/>.</summary>
    public OxbowOptions WriteToConsole(IEventRenderer? renderer = null, OxLevel minimumLevel = OxLevel.Trace) =>
        WriteTo(new ConsoleSink(renderer ?? new ConsoleRenderer()), minimumLevel);

    /// <summary>Adds a rolling JSON-lines file sink taking events at or above <paramref name="minimumLevel"/>; see <see cref="RollingFileOptions"/> for the defaults.</summary>
    public OxbowOptions WriteToFile(string path, Action<RollingFileOptions>? configure = null, OxLevel minimumLevel = OxLevel.Trace)
    {
        var options = new RollingFileOptions { Path = path };
        configure?.Invoke(options);
        return WriteTo(new RollingFileSink(options), minimumLevel);
    }

    /// <summary>
    /// Adds a <see cref="NetworkSink"/> that ships events to an Oxbow agent or collector, acknowledged after they are
    /// on its disk. <paramref name="endpoints"/> is <c>host:port[,host:port…]</c>, in order of preference.
    /// </summary>
    public OxbowOptions WriteToOxbow(string endpoints, Action<NetworkSinkOptions>? configure = null, OxLevel minimumLevel = OxLevel.Trace)
    {
        var options = new NetworkSinkOptions();
        options.Endpoints = endpoints.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        options.ClientName = $"{App}@{Host}";
        configure?.Invoke(options);
        return WriteTo(new NetworkSink(options), minimumLevel);
    }

    /// <summary>
    /// Adds a <see cref="Sinks.Syslog.SyslogSink"/>: RFC 5424 (or 3164) messages with a CEE payload over UDP, TCP or TLS
    /// to <paramref name="host"/>:<paramref name="port"/>. See <see cref="Sinks.Syslog.SyslogSinkOptions"/> for the defaults.
    /// </summary>
    public OxbowOptions WriteToSyslog(string host, int port, Action<Sinks.Syslog.SyslogSinkOptions>? configure = null, OxLevel minimumLevel = OxLevel.Trace)
    {
        var options = new Sinks.Syslog.SyslogSinkOptions { Host = host, Port = port };
        configure?.Invoke(options);
        return WriteTo(new Sinks.Syslog.SyslogSink(options), minimumLevel);
    }

    /// <summary>Adds an enricher that may change any event.</summary>
    public OxbowOptions Enrich(Action<OxbowEvent> enrich)
    {
        Processors.Add(new DelegateProcessor(e =>
        {
            enrich(e);
            return true;
        }));
        return this;
    }

    /// <summary>Adds a filter: events for which <paramref name="keep"/> returns false are dropped.</summary>
    public OxbowOptions Filter(Func<OxbowEvent, bool> keep)
    {
        Processors.Add(new DelegateProcessor(keep));
        return this;
    }

    /// <summary>Options with defaults taken from the process environment.</summary>
    public static OxbowOptions FromEnvironment() => FromEnvironment(Environment.GetEnvironmentVariable);

    /// <summary>Options with defaults taken from <paramref name="getVariable"/> (for tests and hosts with their own configuration).</summary>
    public static OxbowOptions FromEnvironment(Func<string, string?> getVariable)
    {
        var options = new OxbowOptions();
        options.ApplyEnvironment(getVariable);
        return options;
    }

    /// <summary>Sets what the <c>OXBOW_*</c> variables given by <paramref name="getVariable"/> say, onto these options.</summary>
    internal void ApplyEnvironment(Func<string, string?> getVariable)
    {
        var options = this;
        if (getVariable("OXBOW_APP") is { Length: > 0 } app)
        {
            options.App = app;
        }

        if (getVariable("OXBOW_HOSTNAME") is { Length: > 0 } host)
        {
            options.Host = host;
        }

        if (getVariable("OXBOW_LEVEL") is { Length: > 0 } levelText)
        {
            options.MinimumLevel = OxLevels.TryParse(levelText, out var level)
                ? level
                : throw new ArgumentException($"OXBOW_LEVEL='{levelText}' is not a level; use one of {OxLevels.ValidNames}.");
        }

        if (getVariable("OXBOW_REDACT") is { Length: > 0 } redact)
        {
            options.Redaction = new RedactionPolicy(RedactionPolicy.DefaultPatterns.Concat(redact.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)));
        }

        if (getVariable("OXBOW_QUEUE_BYTES") is { Length: > 0 } queueBytes)
        {
            options.QueueCapacityBytes = int.TryParse(queueBytes, out var bytes) && bytes > 0
                ? bytes
                : throw new ArgumentException($"OXBOW_QUEUE_BYTES='{queueBytes}' is not a positive number of bytes.");
        }

        if (getVariable("OXBOW_QUEUE_MAX_BYTES") is { Length: > 0 } queueMax)
        {
            options.QueueMaxBytes = int.TryParse(queueMax, out var bytes) && bytes > 0
                ? bytes
                : throw new ArgumentException($"OXBOW_QUEUE_MAX_BYTES='{queueMax}' is not a positive number of bytes.");
        }

        if (getVariable("OXBOW_QUEUE_FULL") is { Length: > 0 } full)
        {
            options.QueueFullMode = full.Trim().ToLowerInvariant() switch
            {
                "drop" => QueueFullMode.DropNewest,
                "wait" => QueueFullMode.Wait,
                _ => throw new ArgumentException($"OXBOW_QUEUE_FULL='{full}' is not 'drop' or 'wait'."),
            };
        }

        if (getVariable("OXBOW_SINK_ERRORS") is { Length: > 0 } sinkErrors)
        {
            options.SinkFailureOutput = sinkErrors.Trim().ToLowerInvariant() switch
            {
                "off" or "none" => null,
                "stderr" or "on" => Console.Error,
                _ => throw new ArgumentException($"OXBOW_SINK_ERRORS='{sinkErrors}' is not 'stderr' or 'off'."),
            };
        }

        if (getVariable("OXBOW_FILE") is { Length: > 0 } file)
        {
            options.WriteToFile(file);
        }

        if (getVariable("OXBOW_ENDPOINTS") is { Length: > 0 } endpoints)
        {
            var token = getVariable("OXBOW_TOKEN") ?? "";
            options.WriteToOxbow(endpoints, o => o.Token = token);
        }

        if (getVariable("OXBOW_CONSOLE") is { Length: > 0 } console)
        {
            IEventRenderer? renderer = console.Trim().ToLowerInvariant() switch
            {
                "pretty" => new ConsoleRenderer(),
                "json" => new JsonRenderer(),
                "logfmt" => new LogfmtRenderer(),
                "cee" => new CeeRenderer(),
                "off" or "none" => null,
                _ => throw new ArgumentException($"OXBOW_CONSOLE='{console}' is not one of pretty, json, logfmt, cee, off."),
            };
            if (renderer is not null)
            {
                options.WriteToConsole(renderer);
            }
            else
            {
                options.ConsoleExplicitlyOff = true;
            }
        }
    }

    internal bool ConsoleExplicitlyOff { get; set; }

    private readonly Dictionary<IEventSink, OxLevel> _sinkLevels = new(ReferenceEqualityComparer.Instance);

    /// <summary>The minimum level <paramref name="sink"/> was added with; trace for a sink added to <see cref="Sinks"/> directly.</summary>
    internal OxLevel SinkLevel(IEventSink sink) => _sinkLevels.TryGetValue(sink, out var level) ? level : OxLevel.Trace;

    /// <summary>Adds the default console sink when no sink was configured and the console was not turned off.</summary>
    internal void AddDefaultSink()
    {
        if (Sinks.Count == 0 && !ConsoleExplicitlyOff)
        {
            WriteToConsole();
        }
    }
}
