using Microsoft.Extensions.Options;

namespace Oxbow.Extensions.Logging.Hosting;

/// <summary>
/// The pipeline a host runs: started from <see cref="IOptionsMonitor{TOptions}"/> as the global Oxbow (so contexts,
/// <c>UseOxbowRequests</c> and <c>Ox</c> work), given new levels whenever the options change, and shut down when the
/// container is disposed. A reload never rebuilds sinks: only levels are live; a changed sink list is reported and
/// waits for a restart.
/// </summary>
internal sealed class OxbowHost : IDisposable
{
    private readonly IDisposable? _subscription;

    public OxbowHost(IOptionsMonitor<OxbowOptions> options)
    {
        var current = options.CurrentValue;
        ShutdownTimeout = current.ShutdownTimeout;
        Pipeline = Ox.Configure(current);
        _subscription = options.OnChange(changed =>
        {
            if (!Pipeline.UpdateLevels(changed))
            {
                // Where sink failures are reported is where the operator looks (standard error unless turned off).
                changed.SinkFailureOutput?.WriteLine("oxbow: the configured sinks changed; the new levels apply now, the new sinks after a restart.");
            }
        });
    }

    public OxbowPipeline Pipeline { get; }

    public TimeSpan ShutdownTimeout { get; }

    public void Dispose()
    {
        _subscription?.Dispose();
        Pipeline.Dispose();
    }
}
