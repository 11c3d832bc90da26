namespace Oxbow.Sinks;

/// <summary>
/// A sink with background work (connections, timers). Its constructor starts nothing; the pipeline calls
/// <see cref="Start"/> once it owns the sink, so a sink that is built and then discarded (for example by
/// <c>o.Sinks.Clear()</c> after <c>OXBOW_ENDPOINTS</c> added one, or by an options rebuild on a configuration reload)
/// leaks no loop. Start runs with the caller's ExecutionContext flow suppressed.
/// </summary>
internal interface IStartableSink
{
    /// <param name="app">The pipeline's app, which tags the sink's measurements on the <c>Oxbow</c> meter.</param>
    void Start(string app);
}
