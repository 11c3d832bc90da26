using Oxbow.Pipeline;

namespace Oxbow;

/// <summary>
/// A running Oxbow configuration: its queue, background writer and sinks, and the loggers that write to it.
/// <see cref="Ox.Configure(OxbowOptions)"/> starts the global one, which <see cref="Ox"/>, contexts and typed streams use;
/// <c>new OxbowPipeline(options)</c> starts an isolated one, for a component or a test that wants its own sinks and
/// levels without touching global state (so such tests can run in parallel).
/// </summary>
/// <remarks>
/// An isolated pipeline serves its loggers (<see cref="Log"/>, <see cref="GetLogger"/>) only: contexts
/// (<see cref="Ox.Context"/>) and test captures (<see cref="Testing.OxCapture"/>) belong to the global one.
/// Disposing drains the queue within <see cref="OxbowOptions.ShutdownTimeout"/> and closes the sinks; the loggers of a
/// disposed pipeline are no-ops. Thread-safe.
/// </remarks>
public sealed class OxbowPipeline : IDisposable
{
    private readonly EventPipeline _pipeline;
    private readonly LevelScope _scope;

    /// <summary>Starts an isolated pipeline with exactly <paramref name="options"/> (the environment is not read; use <see cref="OxbowOptions.FromEnvironment()"/> for that).</summary>
    public OxbowPipeline(OxbowOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _pipeline = new EventPipeline(options);
        _scope = LevelScope.Isolated(_pipeline);
        Log = new OxLogger(_scope.Root);
    }

    private OxbowPipeline(EventPipeline global)
    {
        _pipeline = global;
        _scope = LevelScope.Global;
        Log = OxLogger.Root;
    }

    /// <summary>True for the pipeline <see cref="Ox.Configure(OxbowOptions)"/> started, while it is the current one.</summary>
    public bool IsGlobal => _scope.IsGlobal && EventPipeline.Current == _pipeline;

    /// <summary>The logger with nothing bound.</summary>
    public OxLogger Log { get; }

    /// <summary>Counters since this pipeline started.</summary>
    public OxbowStats Stats => _pipeline.Stats;

    /// <summary>Bytes of encoded events waiting in the queue now.</summary>
    public long QueueBytes => _pipeline.QueueBytes;

    /// <summary>The most the queue holds before its full mode applies, in bytes (<see cref="OxbowOptions.QueueMaxBytes"/>, or <see cref="OxbowOptions.QueueCapacityBytes"/> when larger).</summary>
    public int QueueCapacityBytes => _pipeline.QueueCapacity;

    /// <summary>The sinks, in the order they were added (for health checks and diagnostics: do not call them).</summary>
    public IReadOnlyList<Sinks.IEventSink> Sinks => _pipeline.Sinks;

    /// <summary>A logger whose category (and <c>logger</c> field) is <paramref name="name"/>; see <see cref="OxbowOptions.Levels"/>.</summary>
    public OxLogger GetLogger(string name) => new OxLogger(_scope.For(name)).Bind("logger", name);

    /// <summary>Waits until every event emitted before the call has reached the sinks; false if <paramref name="timeout"/> (default 10 s) passed first.</summary>
    public bool Flush(TimeSpan? timeout = null) => _pipeline.Flush(timeout ?? TimeSpan.FromSeconds(10));

    /// <summary>
    /// Applies the levels of <paramref name="options"/> (<see cref="OxbowOptions.MinimumLevel"/>,
    /// <see cref="OxbowOptions.Levels"/> and each sink's minimum, matched by position) to this running pipeline at once,
    /// without rebuilding or restarting sinks and without losing queued events. Other settings in
    /// <paramref name="options"/> are ignored. Returns false when <paramref name="options"/> has a different number of
    /// sinks: then the sinks' levels stay as they were (changing sinks needs a restart), the rest applies.
    /// </summary>
    public bool UpdateLevels(OxbowOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var applied = _pipeline.UpdateLevels(options);
        _scope.Recompute();
        return applied;
    }

    /// <summary>Drains and closes this pipeline; for the global one, Oxbow returns to the unconfigured no-op state.</summary>
    public void Dispose()
    {
        if (_scope.IsGlobal)
        {
            Ox.ShutdownIfCurrent(_pipeline);
        }
        else
        {
            _scope.Close();
            _pipeline.Dispose();
        }
    }

    internal EventPipeline Inner => _pipeline;

    internal static OxbowPipeline ForGlobal(EventPipeline pipeline) => new(pipeline);
}
