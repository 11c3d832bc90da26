using Oxbow.Logging;
using Oxbow.Pipeline;

namespace Oxbow;

/// <summary>
/// The entry point. Until <see cref="Configure(Action{OxbowOptions})"/> is called every member is a no-op: no threads, no files,
/// no sockets, and log calls cost one comparison.
/// <code>
/// Ox.Configure(o => o.WriteToFile("logs/app.ndjson"));
/// using (Ox.Context("request"))
/// {
///     Ox.Set("user_agent", userAgent);
///     using (Ox.Time("request_time")) { Handle(); }
///     Ox.Set("response.status", 200);
/// }   // one "request" event is emitted here
/// </code>
/// </summary>
public static class Ox
{
    private static readonly object s_configureGate = new();
    private static int s_exitHookInstalled;

    /// <summary>The logger with nothing bound.</summary>
    public static OxLogger Log => OxLogger.Root;

    /// <summary>True once <see cref="Configure(Action{OxbowOptions})"/> has run and until <see cref="Shutdown()"/>.</summary>
    public static bool IsConfigured => EventPipeline.Current is not null;

    /// <summary>The running global pipeline, or null while unconfigured.</summary>
    public static OxbowPipeline? Pipeline => EventPipeline.Current is { } current ? OxbowPipeline.ForGlobal(current) : null;

    /// <summary>Counters of the current configuration.</summary>
    public static OxbowStats Stats => EventPipeline.Current?.Stats ?? OxbowStats.Empty;

    /// <summary>The innermost open context of the current logical flow, or null.</summary>
    public static OxContext? Current => OxContext.Current;

    /// <summary>
    /// Starts (or restarts) Oxbow. Options start from the environment (<see cref="OxbowOptions.FromEnvironment()"/>),
    /// then <paramref name="configure"/> adjusts them. A previous configuration is flushed and closed first.
    /// </summary>
    public static void Configure(Action<OxbowOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = OxbowOptions.FromEnvironment();
        configure(options);
        Configure(options);
    }

    /// <summary>Starts (or restarts) Oxbow from the environment alone (<see cref="OxbowOptions.FromEnvironment()"/>).</summary>
    public static void Configure() => Configure(OxbowOptions.FromEnvironment());

    /// <summary>
    /// Starts (or restarts) Oxbow with exactly <paramref name="options"/> (the environment is not read; start from
    /// <see cref="OxbowOptions.FromEnvironment()"/> for that) and returns the running pipeline, whose
    /// <see cref="OxbowPipeline.UpdateLevels"/> changes levels live and whose disposal is <see cref="Shutdown()"/>.
    /// A previous configuration is flushed and closed first. With no sink and the console not turned off, a
    /// <c>pretty</c> console sink is added.
    /// </summary>
    public static OxbowPipeline Configure(OxbowOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AddDefaultSink();
        // Sink failure reports are process-wide, like the console they go to: the global configuration decides where.
        SinkFailures.Output = options.SinkFailureOutput;
        SinkFailures.Reset();
        var pipeline = new EventPipeline(options);
        lock (s_configureGate)
        {
            var previous = EventPipeline.Exchange(pipeline);
            LevelGate.Recompute();
            previous?.Dispose();
            if (Interlocked.Exchange(ref s_exitHookInstalled, 1) == 0)
            {
                // Process exit (including SIGTERM) drains the queue so the last events are not lost.
                AppDomain.CurrentDomain.ProcessExit += static (_, _) => Shutdown();
            }
        }

        return OxbowPipeline.ForGlobal(pipeline);
    }

    /// <summary>Drains everything queued and returns Oxbow to the unconfigured no-op state.</summary>
    public static void Shutdown()
    {
        lock (s_configureGate)
        {
            var previous = EventPipeline.Exchange(null);
            LevelGate.Recompute();
            previous?.Dispose();
        }
    }

    /// <summary>Shuts down <paramref name="pipeline"/> if it is still the global one; a later configuration is left alone.</summary>
    internal static void ShutdownIfCurrent(EventPipeline pipeline)
    {
        lock (s_configureGate)
        {
            if (EventPipeline.Current == pipeline)
            {
                EventPipeline.Exchange(null);
                LevelGate.Recompute();
            }
        }

        pipeline.Dispose();
    }

    /// <summary>Waits until every event emitted before the call has reached the sinks; false if <paramref name="timeout"/> (default 10 s) passed first.</summary>
    public static bool Flush(TimeSpan? timeout = null) => EventPipeline.Current?.Flush(timeout ?? TimeSpan.FromSeconds(10)) ?? true;

    /// <summary>True when an event of <paramref name="level"/> would go anywhere.</summary>
    public static bool IsEnabled(OxLevel level) => LevelGate.IsEnabled(level);

    /// <summary>A logger whose category (and <c>logger</c> field) is <paramref name="name"/>: <see cref="OxbowOptions.Levels"/> apply to it by that name.</summary>
    public static OxLogger GetLogger(string name) => new OxLogger(LevelScope.Global.For(name)).Bind("logger", name);

    /// <summary>
    /// Opens a context. <paramref name="name"/> is absolute (<c>request</c>), relative to the current context
    /// (<c>.db</c>) or to the outermost one (<c>^.cache</c>); see docs/event-format.md for the rules.
    /// </summary>
    /// <param name="name">Context name.</param>
    /// <param name="id">Explicit id (32 lowercase hex digits) instead of the parent's or a new one.</param>
    /// <param name="sample">Sampling rule; null keeps every instance.</param>
    /// <exception cref="ArgumentException">The name or id is invalid.</exception>
    public static OxContext Context(string name, string? id = null, Sampling? sample = null) => OxContext.Open(name, id, sample);

    /// <summary>Sets a field on the current context; dotted keys nest. Does nothing when no context is open.</summary>
    public static void Set(string key, object? value) => OxContext.Current?.Set(key, value);

    /// <summary>Sets a field on the current context to an array of <paramref name="values"/>.</summary>
    public static void Set(string key, params object?[] values) => OxContext.Current?.Set(key, values);

    /// <summary>Appends to an array field of the current context.</summary>
    public static void Append(string key, object? value) => OxContext.Current?.Append(key, value);

    /// <summary>Adds to a counter of the current context (starting at 0).</summary>
    public static void Add(string key, double amount = 1) => OxContext.Current?.Add(key, amount);

    /// <summary>Times a block into the current context as elapsed seconds; outside a context it does nothing.</summary>
    public static OxTimer Time(string key) => OxContext.Current is { } context ? context.Time(key) : default;

    /// <summary>Binds a field to every event of the current logical flow until the returned scope is disposed.</summary>
    public static IDisposable BindScope(string key, object? value) => AmbientFields.Push([new BoundField(key, value)]);

    /// <summary>Binds several fields to every event of the current logical flow until the returned scope is disposed.</summary>
    public static IDisposable BindScope(params ReadOnlySpan<BoundField> fields) => AmbientFields.Push(fields);

    /// <summary>
    /// Starts a clean ambient scope for a new unit of work (a request, a queue message, a job): no fields bound with
    /// <see cref="BindScope(string, object?)"/> and no open context, whatever earlier code left on this flow, for
    /// example a scope that was never disposed on a long-lived worker thread. Disposing it restores what was there.
    /// <c>UseOxbowRequests</c> starts one for every request.
    /// </summary>
    public static IDisposable BeginCleanScope() => new CleanScope(AmbientFields.Clear(), OxContext.ClearCurrent());

    private sealed class CleanScope(IDisposable fields, IDisposable context) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                context.Dispose();
                fields.Dispose();
            }
        }
    }
}
