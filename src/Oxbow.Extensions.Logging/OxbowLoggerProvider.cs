using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Oxbow.Extensions.Logging.Hosting;

namespace Oxbow.Extensions.Logging;

/// <summary>
/// The Microsoft.Extensions.Logging provider. An <c>ILogger</c> call becomes one Oxbow log event (type <c>log</c>,
/// or <c>&lt;context&gt;.log</c> sharing the id of the <see cref="OxContext"/> it happens in) whose body holds:
/// <c>event</c> (the event id's name, else the message template), <c>category</c>, <c>event_id</c> (when not 0),
/// <c>template</c>, <c>message</c> (rendered), each structured parameter by name, each scope's key/value pairs
/// (other scopes as text in <c>scopes</c>), and the exception as structured data.
/// </summary>
/// <remarks>
/// Its alias is <c>Oxbow</c>, so <c>Logging:Oxbow:LogLevel</c> filters it as <c>Logging:Console:LogLevel</c> filters the
/// console. <c>IsEnabled</c> is Oxbow's level check for the category (one comparison, following
/// <see cref="OxbowOptions.Levels"/>), so <c>[LoggerMessage]</c>-generated methods and the <c>LogInformation</c> family
/// build nothing for a disabled level. With <c>services.AddOxbow(...)</c> the events go to that host's pipeline;
/// without it, to the global Oxbow (configured elsewhere, or a no-op). Levels map one to one: Trace, Debug,
/// Information (info), Warning, Error, Critical.
/// </remarks>
[ProviderAlias("Oxbow")]
public sealed class OxbowLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentDictionary<string, OxbowMelLogger> _loggers = new(StringComparer.Ordinal);
    private readonly OxbowPipeline? _pipeline;
    private readonly IOptionsMonitor<OxbowLoggerOptions>? _monitor;
    private readonly OxbowLoggerOptions _options;
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    /// <summary>A provider with <paramref name="options"/>, writing to the global Oxbow; configures it when the options say so.</summary>
    public OxbowLoggerProvider(OxbowLoggerOptions? options = null)
    {
        _options = options ?? new OxbowLoggerOptions();
        if (_options.ConfigureOxbow is { } configure)
        {
            Ox.Configure(configure);
        }
    }

    internal OxbowLoggerProvider(IOptionsMonitor<OxbowLoggerOptions> options, OxbowHost? host)
    {
        _monitor = options;
        _options = options.CurrentValue;
        _pipeline = host?.Pipeline;
        if (host is null && _options.ConfigureOxbow is { } configure)
        {
            Ox.Configure(configure);
        }
    }

    internal OxbowLoggerOptions Options => _monitor?.CurrentValue ?? _options;

    internal IExternalScopeProvider Scopes => _scopes;

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, name => new OxbowMelLogger(name, LoggerFor(name), this));

    /// <inheritdoc />
    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    /// <summary>Waits for queued events to be written (the pipeline itself is closed by its owner: the host, or <c>Ox.Shutdown</c>).</summary>
    public void Dispose()
    {
        if (_pipeline is not null)
        {
            _pipeline.Flush();
        }
        else
        {
            Ox.Flush();
        }
    }

    // The category's levels, without the `logger` field: these events name their category in `category`.
    private OxLogger LoggerFor(string category) => (_pipeline?.GetLogger(category) ?? Ox.GetLogger(category)).TryUnbind("logger");
}
