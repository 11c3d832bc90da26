using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Oxbow.Testing;
using Serilog;

namespace Oxbow.Serilog.Tests;

public sealed class OxbowSerilogSinkTests : IDisposable
{
    public void Dispose() => Ox.Shutdown();

    [Fact]
    public void Properties_keep_their_types_and_shapes_and_levels_map_onto_oxbow_levels()
    {
        using var capture = OxCapture.Start(OxLevel.Trace);
        using var logger = new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Oxbow().CreateLogger();
        logger.Information("Order {OrderId} for {@Customer} with {Items}", 7, new { Name = "ann", Tier = 2 }, new[] { "a", "b" });
        logger.Verbose("detail");
        logger.Fatal(new InvalidOperationException("down"), "Gave up");
        Ox.Flush();

        Assert.Equal([OxLevel.Info, OxLevel.Trace, OxLevel.Critical], capture.Events.Select(e => e.Level));
        var e = capture.Events[0];
        Assert.Equal("log", e.Type);
        Assert.Equal("Order {OrderId} for {@Customer} with {Items}", e["event"]);
        Assert.Equal("Order 7 for { Name: \"ann\", Tier: 2 } with [\"a\", \"b\"]", e["message"]);
        Assert.Equal(7L, Convert.ToInt64(e["OrderId"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("ann", e["Customer.Name"]);
        Assert.Equal(2L, Convert.ToInt64(e["Customer.Tier"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(["a", "b"], Assert.IsType<List<object?>>(e["Items"]).Select(x => (string?)x));
        Assert.Equal("System.InvalidOperationException", capture.Events[2]["exception.type"]);
    }

    [Fact]
    public void Oxbow_category_levels_apply_to_serilog_events_by_their_source_context()
    {
        var sink = new LineSink();
        Ox.Configure(o =>
        {
            o.Sinks.Clear();
            o.WriteTo(sink);
            o.MinimumLevel = OxLevel.Info;
            o.Levels["Shop.Noisy"] = OxLevel.Error;
            o.Levels["Shop.Payments"] = OxLevel.Debug;
        });
        using var logger = new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Oxbow().CreateLogger();
        logger.ForContext(global::Serilog.Core.Constants.SourceContextPropertyName, "Shop.Noisy.Poller").Warning("noisy warning");
        logger.ForContext(global::Serilog.Core.Constants.SourceContextPropertyName, "Shop.Noisy.Poller").Error("noisy error");
        logger.ForContext(global::Serilog.Core.Constants.SourceContextPropertyName, "Shop.Payments").Debug("payment debug");
        logger.Debug("debug without a context");
        logger.Information("info without a context");
        Ox.Flush();

        Assert.Equal(["noisy error", "payment debug", "info without a context"], sink.Events());
    }

    [Fact]
    public async Task A_serilog_application_ships_to_a_collector_with_one_line_of_configuration()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"));
        await collector.StartAsync();

        using (var logger = new LoggerConfiguration().WriteTo.Oxbow(o => o.WriteToOxbow(collector.Ingest)).CreateLogger())
        {
            for (var i = 0; i < 500; i++)
            {
                logger.Warning("Disk {Disk} at {Percent}%", "/dev/sda" + (i % 2), 90 + (i % 10));
            }
        }

        Ox.Shutdown(); // drains the network sink: every event is acknowledged by the collector
        await collector.WaitForStatAsync(500, "store", "events");
        var lines = StoredEvents.Lines(dir.Sub("data")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(500, lines.Count);
        Assert.All(lines, l => Assert.Equal(("log", "warning", "Disk {Disk} at {Percent}%"),
            (l.GetProperty("type").GetString(), l.GetProperty("level").GetString(), l.GetProperty("body").GetProperty("event").GetString())));
        Assert.Equal(250, lines.Count(l => l.GetProperty("body").GetProperty("Disk").GetString() == "/dev/sda1"));
        Assert.Equal(Enumerable.Range(0, 500).Sum(i => 90 + (i % 10)), lines.Sum(l => l.GetProperty("body").GetProperty("Percent").GetInt32()));
        Assert.Contains(lines, l => l.GetProperty("body").GetProperty("message").GetString() == "Disk \"/dev/sda0\" at 90%");
    }

    [Fact]
    public async Task A_serilog_application_configured_from_json_ships_to_a_collector_and_closing_the_logger_delivers_everything()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"));
        await collector.StartAsync();
        var json = $$"""
            {
              "Serilog": {
                "MinimumLevel": "Information",
                "WriteTo": [ { "Name": "Oxbow", "Args": { "endpoints": "{{collector.Ingest}}", "app": "json-configured" } } ]
              }
            }
            """;
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        var logger = new LoggerConfiguration().ReadFrom.Configuration(configuration).CreateLogger();
        for (var i = 0; i < 300; i++)
        {
            logger.Information("Order {OrderId} paid", i);
        }

        logger.Debug("below the configured minimum");

        // What Log.CloseAndFlush() does: dispose the logger, which disposes the sink, which shuts down the Oxbow it
        // configured, so every event is acknowledged by the collector before this returns.
        logger.Dispose();
        Assert.Equal(300, await collector.StatAsync("store", "events")); // no waiting: acknowledged means stored

        var lines = StoredEvents.Lines(dir.Sub("data")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(300, lines.Count);
        Assert.All(lines, l => Assert.Equal(("json-configured", "info", "Order {OrderId} paid"),
            (l.GetProperty("app").GetString(), l.GetProperty("level").GetString(), l.GetProperty("body").GetProperty("event").GetString())));
        Assert.Equal(Enumerable.Range(0, 300).Sum(), lines.Sum(l => l.GetProperty("body").GetProperty("OrderId").GetInt32()));
    }

    private sealed class LineSink : Oxbow.Sinks.IEventSink
    {
        private readonly List<string> _events = [];

        public void Emit(in Oxbow.Sinks.EventBatch batch)
        {
            foreach (var line in Encoding.UTF8.GetString(batch.Utf8Lines.Span).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                using var json = JsonDocument.Parse(line);
                lock (_events)
                {
                    _events.Add(json.RootElement.GetProperty("body").GetProperty("event").GetString()!);
                }
            }
        }

        public string[] Events()
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }
}
