namespace Oxbow.Extensions.Logging;

/// <summary>Options of the Oxbow logging provider.</summary>
public sealed class OxbowLoggerOptions
{
    /// <summary>Whether <c>ILogger.BeginScope</c> values become fields of each event. Default true.</summary>
    public bool IncludeScopes { get; set; } = true;

    /// <summary>
    /// Configures Oxbow itself (<see cref="Ox.Configure(Action{OxbowOptions})"/>) when the provider is created, for
    /// applications that set everything up through logging. Default null: Oxbow is configured elsewhere (or from
    /// <c>OXBOW_*</c> variables); until it is, every call is a no-op.
    /// </summary>
    public Action<OxbowOptions>? ConfigureOxbow { get; set; }
}
