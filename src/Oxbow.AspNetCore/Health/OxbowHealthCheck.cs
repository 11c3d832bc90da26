using Microsoft.Extensions.Diagnostics.HealthChecks;
using Oxbow.Sinks;

namespace Oxbow.AspNetCore.Health;

/// <summary>
/// Oxbow's health: unhealthy when the queue is saturated or a network sink has had events waiting without a
/// connection for longer than <see cref="OxbowHealthCheckOptions.UnreachableAfter"/>; degraded when events were dropped
/// since the previous check; healthy otherwise, and while Oxbow is not configured (nothing to be unhealthy about).
/// </summary>
internal sealed class OxbowHealthCheck(OxbowHealthCheckOptions options, TimeProvider time) : IHealthCheck
{
    private readonly object _gate = new();
    private long _lastDropped = -1;
    private DateTimeOffset? _unreachableSince;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(Check());

    private HealthCheckResult Check()
    {
        if (Ox.Pipeline is not { } pipeline)
        {
            return HealthCheckResult.Healthy("Oxbow is not configured.");
        }

        var stats = pipeline.Stats;
        var networks = pipeline.Sinks.OfType<NetworkSink>().Select(s => s.Stats).ToArray();
        var dropped = stats.DroppedQueueFull + stats.DroppedOversized + networks.Sum(n => n.Dropped + n.Rejected);
        var data = new Dictionary<string, object>
        {
            ["queue_bytes"] = pipeline.QueueBytes,
            ["queue_capacity_bytes"] = pipeline.QueueCapacityBytes,
            ["dropped"] = dropped,
        };

        lock (_gate)
        {
            var now = time.GetUtcNow();
            var waitingUnconnected = networks.FirstOrDefault(n => n.PendingEvents > 0 && n.Upstream.Connected is null);
            _unreachableSince = waitingUnconnected is null ? null : _unreachableSince ?? now;
            var droppedSinceLast = _lastDropped < 0 ? 0 : dropped - _lastDropped;
            _lastDropped = dropped;

            if (pipeline.QueueBytes >= pipeline.QueueCapacityBytes * options.SaturatedFraction)
            {
                return HealthCheckResult.Unhealthy($"The queue is saturated: {pipeline.QueueBytes} of {pipeline.QueueCapacityBytes} bytes.", data: data);
            }

            if (waitingUnconnected is not null && _unreachableSince is { } since && now - since >= options.UnreachableAfter)
            {
                data["upstream_error"] = waitingUnconnected.Upstream.LastError ?? "";
                return HealthCheckResult.Unhealthy(
                    $"No upstream reachable for {(now - since).TotalSeconds:0} s with {waitingUnconnected.PendingEvents} event(s) waiting; last error: {waitingUnconnected.Upstream.LastError}",
                    data: data);
            }

            if (droppedSinceLast > 0)
            {
                return HealthCheckResult.Degraded($"{droppedSinceLast} event(s) dropped since the previous check.", data: data);
            }

            return HealthCheckResult.Healthy(data: data);
        }
    }
}
