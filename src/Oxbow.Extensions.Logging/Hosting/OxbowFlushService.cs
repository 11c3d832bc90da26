using Microsoft.Extensions.Hosting;

namespace Oxbow.Extensions.Logging.Hosting;

/// <summary>
/// Starts the host's pipeline with the host (so events from start-up on are kept) and drains it when the application
/// stops: once on <c>ApplicationStopping</c>, for what was logged until then, and again when the host stops, for what
/// other services logged while stopping. Each drain waits at most <see cref="OxbowOptions.ShutdownTimeout"/>.
/// </summary>
internal sealed class OxbowFlushService(OxbowHost host, IHostApplicationLifetime lifetime) : IHostedService
{
    private CancellationTokenRegistration _stopping;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _stopping = lifetime.ApplicationStopping.Register(() => host.Pipeline.Flush(host.ShutdownTimeout));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Dispose();
        host.Pipeline.Flush(host.ShutdownTimeout);
        return Task.CompletedTask;
    }
}
