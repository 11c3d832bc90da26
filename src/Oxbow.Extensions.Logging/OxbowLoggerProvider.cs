using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Oxbow.Extensions.Logging;

/// <summary>
/// The Microsoft.Extensions.Logging provider. An <c>ILogger</c> call becomes one Oxbow log event (type <c>log</c>,
/// or <c>&lt;context&gt;.log</c> sharing the id of the <see cref="OxContext"/> it happens in) whose body holds:
/// <c>event</c> (the event id's name, else the message template), <c>category</c>, <c>event_id</c> (when not 0),
/// <c>template</c>, <c>message</c> (rendered), each structured parameter by name, each scope's key/value pairs
/// (other scopes as text in <c>scopes</c>), and the exception as structured data.
/// </summary>
/// <remarks>
/// <c>IsEnabled</c> is Oxbow's level gate (one comparison), so <c>[LoggerMessage]</c>-generated methods and the
/// <c>LogInformation</c> family build nothing for a disabled level. Levels: Trace and Debug map to debug,
/// Information to info, Warning, Error and Critical to themselves.
/// </remarks>
public sealed class OxbowLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentDictionary<string, OxbowMelLogger> _loggers = new(StringComparer.Ordinal);
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    /// <summary>A provider with <paramref name="options"/>; configures Oxbow when the options say so.</summary>
    public OxbowLoggerProvider(OxbowLoggerOptions? options = null)
    {
        Options = options ?? new OxbowLoggerOptions();
        if (Options.ConfigureOxbow is { } configure)
        {
            Ox.Configure(configure);
        }
    }

    internal OxbowLoggerOptions Options { get; }

    internal IExternalScopeProvider Scopes => _scopes;

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, name => new OxbowMelLogger(name, this));

    /// <inheritdoc />
    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    /// <summary>Waits for queued events to be written (Oxbow itself stays configured: other code may use it).</summary>
    public void Dispose() => Ox.Flush();
}
