using System.Diagnostics.Metrics;
using Oxbow.Daemon.Stats;

namespace Oxbow.Daemon.Metrics;

/// <summary>
/// The daemon's metrics through a <see cref="Meter"/> named <c>Oxbow.Daemon</c>, for <c>dotnet-counters</c> and
/// OpenTelemetry: one observable instrument per family that <c>/metrics</c> shows, with the same name (without
/// <c>_total</c>), help and labels. A collection reads the daemon's state once and shares it between instruments
/// for half a second, so a listener that polls every instrument does not walk the stats once per instrument.
/// </summary>
internal sealed class DaemonMeter : IDisposable
{
    /// <summary>The meter's name, to give <c>dotnet-counters --counters</c> or <c>AddMeter</c>.</summary>
    public const string Name = "Oxbow.Daemon";

    private const long FreshFor = 500; // milliseconds a read of the daemon state serves every instrument
    private readonly DaemonStatus _status;
    private readonly Meter _meter = new(Name);
    private readonly Lock _gate = new();
    private Dictionary<string, MetricFamily>? _snapshot;
    private long _readAt;

    private DaemonMeter(DaemonStatus status) => _status = status;

    /// <summary>
    /// Creates an instrument for each family the daemon has now. The set is fixed by the daemon's role (a
    /// collector has store families, an agent forwarder ones), which does not change while it runs.
    /// </summary>
    public static DaemonMeter Start(DaemonStatus status)
    {
        var meter = new DaemonMeter(status);
        foreach (var family in DaemonMetrics.Read(status))
        {
            var name = family.Name;
            if (family.Kind == MetricKind.Counter)
            {
                meter._meter.CreateObservableCounter(name, () => meter.Observe(name), unit: null, description: family.Help);
            }
            else
            {
                meter._meter.CreateObservableGauge(name, () => meter.Observe(name), unit: null, description: family.Help);
            }
        }

        return meter;
    }

    private IEnumerable<Measurement<long>> Observe(string name)
    {
        Dictionary<string, MetricFamily> snapshot;
        lock (_gate)
        {
            var now = Environment.TickCount64;
            if (_snapshot is null || now - _readAt >= FreshFor)
            {
                _snapshot = DaemonMetrics.Read(_status).ToDictionary(f => f.Name);
                _readAt = now;
            }

            snapshot = _snapshot;
        }

        if (!snapshot.TryGetValue(name, out var family))
        {
            return [];
        }

        return family.Samples.Select(s => s.LabelName is null
            ? new Measurement<long>(s.Value)
            : new Measurement<long>(s.Value, new KeyValuePair<string, object?>(s.LabelName, s.LabelValue)));
    }

    public void Dispose() => _meter.Dispose();
}
