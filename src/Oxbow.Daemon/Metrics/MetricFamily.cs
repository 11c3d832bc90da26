namespace Oxbow.Daemon.Metrics;

/// <summary>Whether a family only grows (a counter) or is a level that moves both ways (a gauge).</summary>
internal enum MetricKind
{
    Counter,
    Gauge,
}

/// <summary>
/// One named metric with its samples, read once from the daemon's live state. <see cref="Name"/> has no unit or
/// <c>_total</c> suffix: <c>/metrics</c> adds <c>_total</c> to counters, as an OpenTelemetry Prometheus exporter
/// does, so the <c>Oxbow.Daemon</c> meter and the page name each counter the same way.
/// </summary>
internal sealed record MetricFamily(string Name, MetricKind Kind, string Help, IReadOnlyList<MetricSample> Samples);

/// <summary>One value of a family, with at most one label (type, host or reason).</summary>
internal readonly record struct MetricSample(long Value, string? LabelName = null, string? LabelValue = null);
