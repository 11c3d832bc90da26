using Oxbow;
using Oxbow.Serilog;
using Serilog.Configuration;
using Serilog.Events;

// In Serilog's namespace, as Serilog's own sinks are: `.WriteTo.Oxbow(…)` needs no extra using.
namespace Serilog;

/// <summary><c>.WriteTo.Oxbow(…)</c>, in code or from configuration (Serilog.Settings.Configuration).</summary>
public static class OxbowLoggerConfigurationExtensions
{
    /// <summary>Sends Serilog events to Oxbow as the application configured it (<c>Ox.Configure</c>); disposing the logger flushes Oxbow.</summary>
    public static LoggerConfiguration Oxbow(this LoggerSinkConfiguration sinkConfiguration)
    {
        ArgumentNullException.ThrowIfNull(sinkConfiguration);
        return sinkConfiguration.Sink(new OxbowSerilogSink(), LevelAlias.Minimum);
    }

    /// <summary>
    /// Configures Oxbow with <paramref name="configure"/> and sends Serilog events to it, so one line ships a Serilog
    /// application to a collector: <c>.WriteTo.Oxbow(o =&gt; o.WriteToOxbow("127.0.0.1:3514"))</c>. Disposing the
    /// logger (or <c>Log.CloseAndFlush()</c>) shuts that Oxbow down, after every queued event is delivered.
    /// </summary>
    public static LoggerConfiguration Oxbow(this LoggerSinkConfiguration sinkConfiguration, Action<OxbowOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(sinkConfiguration);
        ArgumentNullException.ThrowIfNull(configure);
        Ox.Configure(configure);
        return sinkConfiguration.Sink(new OxbowSerilogSink(ownsPipeline: true), LevelAlias.Minimum);
    }

    /// <summary>
    /// The form for configuration files: <c>"WriteTo": [{ "Name": "Oxbow", "Args": { "endpoints": "127.0.0.1:3514",
    /// "app": "checkout" } }]</c>. Configures Oxbow with an acknowledged network sink to <paramref name="endpoints"/>
    /// (<c>host:port[,host:port…]</c>), and, if given, <paramref name="app"/>, <paramref name="token"/> and
    /// <paramref name="file"/> (rolling JSON lines); the other settings come from <c>OXBOW_*</c> variables as usual.
    /// </summary>
    public static LoggerConfiguration Oxbow(this LoggerSinkConfiguration sinkConfiguration, string endpoints, string? app = null, string? token = null,
        string? file = null, LogEventLevel restrictedToMinimumLevel = LevelAlias.Minimum)
    {
        ArgumentNullException.ThrowIfNull(sinkConfiguration);
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoints);
        Ox.Configure(o =>
        {
            if (app is { Length: > 0 })
            {
                o.App = app;
            }

            o.WriteToOxbow(endpoints, n => n.Token = token ?? n.Token);
            if (file is { Length: > 0 })
            {
                o.WriteToFile(file);
            }
        });
        return sinkConfiguration.Sink(new OxbowSerilogSink(ownsPipeline: true), restrictedToMinimumLevel);
    }
}
