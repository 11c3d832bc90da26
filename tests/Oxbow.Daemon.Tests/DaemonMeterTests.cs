using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using Oxbow.Daemon.Configuration;
using Oxbow.Daemon.Metrics;
using Oxbow.Daemon.Tests.Support;

namespace Oxbow.Daemon.Tests;

public sealed class DaemonMeterTests
{
    [Fact]
    public async Task The_Oxbow_Daemon_meter_reports_the_same_counters_as_the_metrics_page()
    {
        using var dir = new TempDirectory();
        var control = LoopbackPorts.Reserve();
        var options = new DaemonOptions
        {
            DataDirectory = dir.Sub("data"),
            Listen = new IPEndPoint(IPAddress.Loopback, LoopbackPorts.Reserve()),
            Control = new IPEndPoint(IPAddress.Loopback, control),
            CompactAfter = null,
        };
        var seen = new ConcurrentDictionary<string, long>();
        var descriptions = new ConcurrentDictionary<string, string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == DaemonMeter.Name)
                {
                    descriptions[instrument.Name] = instrument.Description ?? "";
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            seen[tags.Length == 0 ? instrument.Name : $"{instrument.Name}{{{tags[0].Key}={tags[0].Value}}}"] = value);
        listener.Start();

        using var stop = new CancellationTokenSource();
        var running = Task.Run(() => new OxbowDaemon(options).RunAsync(stop.Token));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{control}/"), Timeout = TimeSpan.FromMinutes(2) };
        try
        {
            await Eventually.TrueAsync(() => running.IsCompleted || IsReady(http), () => "the in-process daemon did not start", seconds: 120);
            using var response = await http.PostAsync("v1/events", new StringContent(
                "{\"type\":\"order\"}\n{\"type\":\"order\"}\n{\"type\":\"order.paid\"}\n", Encoding.UTF8, "application/x-ndjson"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);

            await Eventually.TrueAsync(() =>
            {
                listener.RecordObservableInstruments();
                return seen.GetValueOrDefault("oxbow_store_events") == 3;
            }, () => $"the meter saw store events {seen.GetValueOrDefault("oxbow_store_events")}");

            Assert.Equal(2, seen["oxbow_events_received{type=order}"]);
            Assert.Equal(1, seen["oxbow_events_received{type=order.paid}"]);
            Assert.Equal("Events accepted, by type.", descriptions["oxbow_events_received"]);
            Assert.Equal(0, seen["oxbow_spool_pending_events"]);

            // The page names each instrument as an OpenTelemetry Prometheus exporter would: counters gain _total.
            var page = await http.GetStringAsync("metrics");
            Assert.Contains("oxbow_events_received_total{type=\"order\"} 2\n", page);
            Assert.Contains("oxbow_store_events_total 3\n", page);
            foreach (var name in descriptions.Keys)
            {
                Assert.Contains($"# HELP {name}", page);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await running.WaitAsync(TimeSpan.FromMinutes(2));
        }
    }

    private static bool IsReady(HttpClient http)
    {
        try
        {
            using var response = http.GetAsync("healthz").GetAwaiter().GetResult();
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
