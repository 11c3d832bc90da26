using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Oxbow.Extensions.Logging.Tests;

/// <summary>A host configured from appsettings.json alone: no Oxbow code but the two AddOxbow calls.</summary>
public sealed class HostingTests : IDisposable
{
    public HostingTests() => Ox.Shutdown();

    public void Dispose() => Ox.Shutdown();

    private static string Settings(string file, string ingest, string minimumLevel) => $$"""
        {
          "Logging": {
            "LogLevel": { "Default": "Trace" },
            "Oxbow": { "LogLevel": { "Microsoft": "Warning" } }
          },
          "Oxbow": {
            "App": "hosted",
            "MinimumLevel": "{{minimumLevel}}",
            "Levels": { "Shop.Noisy": "Error" },
            "SinkErrors": "off",
            "Sinks": [
              { "Type": "File", "Path": {{JsonSerializer.Serialize(file)}}, "MinimumLevel": "Debug" },
              { "Type": "Network", "Endpoints": "{{ingest}}", "MinimumLevel": "Warning" }
            ]
          }
        }
        """;

    private static HostApplicationBuilder Builder(string contentRoot)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = contentRoot, Args = [] });
        builder.Logging.ClearProviders();
        builder.Logging.AddOxbow();
        builder.Services.AddOxbow(builder.Configuration.GetSection("Oxbow"));
        return builder;
    }

    [Fact]
    public async Task A_host_configured_from_appsettings_writes_each_sink_at_its_level_and_a_live_edit_changes_the_level()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"));
        await collector.StartAsync();
        var app = dir.Sub("app");
        Directory.CreateDirectory(app);
        var file = Path.Combine(app, "logs", "app.ndjson");
        var settings = Path.Combine(app, "appsettings.json");
        File.WriteAllText(settings, Settings(file, collector.Ingest, "Information"));
        var ackLatencies = new System.Collections.Concurrent.ConcurrentQueue<double>();
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument is { Meter.Name: "Oxbow", Name: "oxbow.network.ack_latency" })
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is { Key: "app", Value: "hosted" })
                {
                    ackLatencies.Enqueue(seconds);
                }
            }
        });
        listener.Start();

        using (var host = Builder(app).Build())
        {
            await host.StartAsync();
            var factory = host.Services.GetRequiredService<ILoggerFactory>();
            var orders = factory.CreateLogger("Shop.Orders");
            var noisy = factory.CreateLogger("Shop.Noisy");
            var framework = factory.CreateLogger("Microsoft.Something");

            for (var i = 0; i < 100; i++)
            {
                orders.LogInformation("Order {OrderId} placed", i);
            }

            orders.LogDebug("Order debug before the edit");
            orders.LogWarning("Order {OrderId} slow", 7);
            noisy.LogWarning("Noisy warning below its category level");
            noisy.LogError("Noisy error");
            framework.LogInformation("Framework info below Logging:Oxbow:LogLevel");
            Assert.False(orders.IsEnabled(LogLevel.Debug));

            // The edit: the file watcher reloads the configuration, and the levels change in place.
            File.WriteAllText(settings, Settings(file, collector.Ingest, "Debug"));
            await Eventually.TrueAsync(() => orders.IsEnabled(LogLevel.Debug), () => "the debug level after editing appsettings.json");
            orders.LogDebug("Order debug after the edit");

            await host.StopAsync();
        }

        // Disposing the host shut Oxbow down: the network sink's events are acknowledged, so stored, by now.
        Assert.False(Ox.IsConfigured);
        var fileEvents = Directory.GetFiles(Path.GetDirectoryName(file)!, "app*.ndjson").SelectMany(File.ReadAllLines).Select(Event).ToList();
        Assert.Equal(
            [.. Enumerable.Repeat("Order {OrderId} placed", 100), "Order {OrderId} slow", "Noisy error", "Order debug after the edit"],
            fileEvents.Select(e => e.Event));
        Assert.All(fileEvents, e => Assert.Equal("hosted", e.App));
        Assert.Equal(Enumerable.Range(0, 100).Sum(), fileEvents.Where(e => e.Event == "Order {OrderId} placed").Sum(e => e.Body.GetProperty("OrderId").GetInt32()));

        Assert.Equal(2, await collector.StatAsync("store", "events"));
        // Each batch the collector acknowledged was timed, from its send to its acknowledgement.
        Assert.NotEmpty(ackLatencies);
        Assert.All(ackLatencies, seconds => Assert.InRange(seconds, 0, 600));
        Assert.Equal(["Order {OrderId} slow", "Noisy error"], StoredEvents.Lines(dir.Sub("data")).Select(Event).Select(e => e.Event).Order(StringComparer.Ordinal).Reverse());
    }

    [Fact]
    public void A_typo_in_the_oxbow_section_fails_at_start_with_the_path_of_the_key()
    {
        using var dir = new TempDirectory();
        var app = dir.Sub("app");
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "appsettings.json"), """
            { "Oxbow": { "Sinks": [ { "Type": "File", "Path": "x.ndjson", "RollInterval": "Day" } ] } }
            """);

        // Building the host creates the logging provider, which starts the pipeline: the error comes from Build.
        var error = Assert.Throws<InvalidOperationException>(() => Builder(app).Build());
        Assert.StartsWith("Oxbow configuration: Oxbow:Sinks:0:RollInterval is not a setting here; the settings are Path, Interval,", error.Message);
    }

    [Fact]
    public void Services_without_configuration_take_code_and_the_provider_comes_from_the_container()
    {
        var sink = new ListSink();
        var services = new ServiceCollection()
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddOxbow())
            .AddOxbow(o =>
            {
                o.Sinks.Clear();
                o.WriteTo(sink);
                o.Levels["Shop"] = OxLevel.Warning;
            });
        using (var provider = services.BuildServiceProvider())
        {
            var pipeline = provider.GetRequiredService<OxbowPipeline>();
            Assert.True(pipeline.IsGlobal);
            var logger = provider.GetRequiredService<ILoggerFactory>().CreateLogger("Shop.Cart");
            logger.LogInformation("hidden by the Shop override");
            logger.LogWarning("shown");
            Assert.Same(pipeline, provider.GetRequiredService<OxbowPipeline>());
        }

        // The container disposed the provider and the pipeline: drained, and Oxbow is unconfigured again.
        Assert.False(Ox.IsConfigured);
        Assert.Equal(["shown"], sink.Events);
    }

    private static (string Event, string App, JsonElement Body) Event(string line)
    {
        var root = JsonDocument.Parse(line).RootElement;
        return (root.GetProperty("body").GetProperty("event").GetString()!, root.GetProperty("app").GetString()!, root.GetProperty("body"));
    }

    private sealed class ListSink : Oxbow.Sinks.IEventSink
    {
        public List<string> Events { get; } = [];

        public void Emit(in Oxbow.Sinks.EventBatch batch)
        {
            foreach (var line in batch)
            {
                Events.Add(JsonDocument.Parse(line.ToArray()).RootElement.GetProperty("body").GetProperty("event").GetString()!);
            }
        }
    }
}
