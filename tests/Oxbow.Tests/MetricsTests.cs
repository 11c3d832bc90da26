using System.Diagnostics.Metrics;
using Oxbow.Tests.Support;

namespace Oxbow.Tests;

/// <summary>The <c>Oxbow</c> meter, read the way dotnet-counters and OpenTelemetry read it: through a <see cref="MeterListener"/>. Isolated pipelines with an app of their own, so these tests run beside the others.</summary>
public sealed class MetricsTests
{
    /// <summary>The meter's values for <paramref name="app"/>, by instrument name and its other tags.</summary>
    private static Dictionary<string, long> Read(string app)
    {
        var values = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Oxbow")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var name = instrument.Name;
            var ofApp = false;
            foreach (var tag in tags)
            {
                if (tag.Key == "app")
                {
                    ofApp = (string?)tag.Value == app;
                }
                else
                {
                    name += $"{{{tag.Key}={tag.Value}}}";
                }
            }

            if (ofApp)
            {
                values[name] = values.GetValueOrDefault(name) + value;
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }

    [Fact]
    public void The_oxbow_meter_counts_emitted_written_and_dropped_events_by_reason_and_shows_the_queue()
    {
        var app = "metrics-" + Guid.NewGuid().ToString("N");
        var sink = new MemorySink();
        var options = new OxbowOptions { App = app, Host = "h", MaxEventBytes = 300, QueueCapacityBytes = 64 * 1024, QueueMaxBytes = 64 * 1024, SinkFailureOutput = null };
        options.WriteTo(sink);
        options.Filter(e => (string?)e.Body["event"] != "filtered");
        using var pipeline = new OxbowPipeline(options);
        for (var i = 0; i < 10; i++)
        {
            pipeline.Log.Info("kept", "i", i);
        }

        pipeline.Log.Info("oversized", "text", new string('x', 400));
        pipeline.Log.Info("filtered");
        Assert.True(pipeline.Flush());
        var after = Read(app);

        long Delta(string name) => after.GetValueOrDefault(name);
        Assert.Equal(10, Delta("oxbow.events.emitted"));
        Assert.Equal(10, Delta("oxbow.events.written"));
        Assert.Equal(1, Delta("oxbow.events.dropped{reason=oversized}"));
        Assert.Equal(1, Delta("oxbow.events.dropped{reason=processor}"));
        Assert.Equal(0, Delta("oxbow.events.dropped{reason=queue_full}"));
        Assert.Equal(0, Delta("oxbow.sink.errors"));
        Assert.Equal(64 * 1024, Delta("oxbow.queue.capacity"));
        Assert.Equal(0, Delta("oxbow.queue.bytes"));
        Assert.Equal(0, Delta("oxbow.network.in_flight"));
    }

    [Fact]
    public void A_disposed_pipeline_leaves_the_meter()
    {
        var app = "metrics-" + Guid.NewGuid().ToString("N");
        var pipeline = new OxbowPipeline(new OxbowOptions { App = app, SinkFailureOutput = null, QueueCapacityBytes = 4096, QueueMaxBytes = 4096 }.WriteTo(new MemorySink()));
        Assert.Equal(4096, Read(app)["oxbow.queue.capacity"]);
        pipeline.Dispose();
        Assert.Empty(Read(app));
    }
}
