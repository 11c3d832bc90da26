using System.Diagnostics;
using System.Diagnostics.Metrics;
using Oxbow.Sinks;

namespace Oxbow.Pipeline;

/// <summary>
/// Oxbow's own health as a <see cref="Meter"/> named <c>Oxbow</c>, for <c>dotnet-counters monitor -n app --counters Oxbow</c>
/// and OpenTelemetry metrics (<c>AddMeter("Oxbow")</c>). Each instrument reports one value per <c>app</c> tag, summed over the running pipelines of that app.
/// </summary>
/// <remarks>
/// The counters are observable: they read the counts the pipeline keeps anyway, when a listener asks, so a log call
/// pays nothing for them. Only the acknowledgement latency is recorded as it happens, once per network batch.
/// </remarks>
internal static class OxbowMetrics
{
    public const string MeterName = "Oxbow";

    private static readonly object s_gate = new();
    private static readonly Meter s_meter = new(MeterName, typeof(OxbowMetrics).Assembly.GetName().Version?.ToString(3));
    private static EventPipeline[] s_pipelines = [];

    private static readonly Histogram<double> s_ackLatency = s_meter.CreateHistogram<double>(
        "oxbow.network.ack_latency", "s", "Time from sending a batch to the collector's acknowledgement (the batch is on its disk).");

    static OxbowMetrics()
    {
        s_meter.CreateObservableCounter("oxbow.events.emitted", () => ByApp(p => p.Stats.Enqueued), "{event}", "Events accepted into the queue.");
        s_meter.CreateObservableCounter("oxbow.events.written", () => ByApp(p => p.Stats.Written), "{event}", "Events handed to the sinks.");
        s_meter.CreateObservableCounter("oxbow.events.dropped", Dropped, "{event}", "Events dropped, by reason: queue_full, oversized, processor.");
        s_meter.CreateObservableCounter("oxbow.sink.errors", () => ByApp(p => p.Stats.SinkErrors), "{error}", "Exceptions thrown by sinks.");
        s_meter.CreateObservableUpDownCounter("oxbow.queue.bytes", () => ByApp(p => p.QueueBytes), "By", "Encoded events waiting in the queue.");
        s_meter.CreateObservableUpDownCounter("oxbow.queue.capacity", () => ByApp(p => p.QueueCapacity), "By", "The queue's capacity.");
        s_meter.CreateObservableUpDownCounter("oxbow.network.in_flight", () => ByApp(p => p.Sinks.OfType<NetworkSink>().Sum(s => (long)s.Stats.Upstream.InFlight)), "{batch}", "Network batches sent and not yet acknowledged.");
    }

    public static void Started(EventPipeline pipeline)
    {
        lock (s_gate)
        {
            s_pipelines = [.. s_pipelines, pipeline];
        }
    }

    public static void Stopped(EventPipeline pipeline)
    {
        lock (s_gate)
        {
            s_pipelines = s_pipelines.Where(p => p != pipeline).ToArray();
        }
    }

    public static void RecordAcknowledgement(long startedTimestamp, string app)
    {
        if (s_ackLatency.Enabled)
        {
            s_ackLatency.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, new KeyValuePair<string, object?>("app", app));
        }
    }

    /// <summary>One measurement per <c>app</c> (the pipelines' <see cref="OxbowOptions.App"/>), summed over its pipelines.</summary>
    private static IEnumerable<Measurement<long>> ByApp(Func<EventPipeline, long> read) =>
        Volatile.Read(ref s_pipelines)
            .GroupBy(p => p.Identity.Identity.App, StringComparer.Ordinal)
            .Select(app => new Measurement<long>(app.Sum(read), new KeyValuePair<string, object?>("app", app.Key)));

    private static IEnumerable<Measurement<long>> Dropped()
    {
        foreach (var app in Volatile.Read(ref s_pipelines).GroupBy(p => p.Identity.Identity.App, StringComparer.Ordinal))
        {
            var stats = app.Select(p => p.Stats).ToArray();
            var tag = new KeyValuePair<string, object?>("app", app.Key);
            yield return new(stats.Sum(s => s.DroppedQueueFull), tag, new KeyValuePair<string, object?>("reason", "queue_full"));
            yield return new(stats.Sum(s => s.DroppedOversized), tag, new KeyValuePair<string, object?>("reason", "oversized"));
            yield return new(stats.Sum(s => s.DroppedByProcessor), tag, new KeyValuePair<string, object?>("reason", "processor"));
        }
    }
}
