using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Oxbow.AspNetCore.Tests;

/// <summary><c>AddHealthChecks().AddOxbow()</c>, exercised through a health endpoint.</summary>
public sealed class HealthCheckTests : IAsyncDisposable
{
    private WebApplication? _app;

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        Ox.Shutdown();
    }

    private async Task<HttpClient> HealthEndpointAsync(Action<Health.OxbowHealthCheckOptions>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddHealthChecks().AddOxbow(configure);
        _app = builder.Build();
        _app.MapHealthChecks("/health");
        await _app.StartAsync();
        return _app.GetTestClient();
    }

    private static async Task<(HttpStatusCode Status, string Body)> CheckAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/health");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Healthy_while_events_flow_then_degraded_once_when_events_are_dropped()
    {
        Ox.Configure(o =>
        {
            o.Sinks.Clear();
            o.WriteTo(new NullSink());
            // Room for "fine" (about 250 bytes of JSON with its envelope), not for "too_big". The limit applies on the
            // writer thread too (to the formatted line), so each call is flushed before the check that counts it.
            o.MaxEventBytes = 1000;
            o.SinkFailureOutput = null;
        });
        var client = await HealthEndpointAsync();
        Ox.Log.Info("fine");
        Assert.True(Ox.Flush());
        Assert.Equal((HttpStatusCode.OK, "Healthy"), await CheckAsync(client));

        Ox.Log.Info("too_big", "text", new string('x', 2000));
        Assert.True(Ox.Flush());
        Assert.Equal((HttpStatusCode.OK, "Degraded"), await CheckAsync(client));
        Assert.Equal((HttpStatusCode.OK, "Healthy"), await CheckAsync(client)); // no new drops since the previous check
    }

    [Fact]
    public async Task Unhealthy_when_the_collector_is_unreachable_with_events_waiting_beyond_the_threshold()
    {
        // A port with nothing listening: bind one, note it, close it.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        Ox.Configure(o =>
        {
            o.Sinks.Clear();
            o.WriteToOxbow($"127.0.0.1:{port}", n => n.ShutdownTimeout = TimeSpan.Zero);
            o.SinkFailureOutput = null;
        });
        var client = await HealthEndpointAsync(h => h.UnreachableAfter = TimeSpan.Zero);
        Ox.Log.Info("waiting");
        Assert.True(Ox.Flush());

        // The first check sees the events waiting; whether the sink has tried to connect yet is a race, so wait for it.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        (HttpStatusCode Status, string Body) result;
        while ((result = await CheckAsync(client)).Status != HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline)
        {
            await Task.Delay(25);
        }

        Assert.Equal((HttpStatusCode.ServiceUnavailable, "Unhealthy"), result);
    }

    [Fact]
    public async Task Unhealthy_while_the_queue_is_saturated_by_a_sink_that_does_not_keep_up_then_healthy_once_it_drains()
    {
        using var release = new ManualResetEventSlim();
        var sink = new BlockedSink(release);
        Ox.Configure(o =>
        {
            o.Sinks.Clear();
            o.WriteTo(sink);
            o.QueueCapacityBytes = o.QueueMaxBytes = 16 * 1024;
            o.SinkFailureOutput = null;
        });
        var client = await HealthEndpointAsync();
        var pipeline = Ox.Pipeline!;
        // First the writer takes one event and is stuck in the sink; only then does the queue behind it fill (a writer
        // that started late would otherwise take the filled buffer away before the check).
        Ox.Log.Info("first");
        Assert.True(sink.Entered.Wait(TimeSpan.FromSeconds(60)));
        for (var i = 0; i < 10_000 && pipeline.QueueBytes < pipeline.QueueCapacityBytes * 0.9; i++)
        {
            Ox.Log.Info("filler", "text", new string('x', 100));
        }

        Assert.Equal((HttpStatusCode.ServiceUnavailable, "Unhealthy"), await CheckAsync(client));

        release.Set();
        Assert.True(pipeline.Flush());
        Assert.Equal((HttpStatusCode.OK, "Healthy"), await CheckAsync(client));
    }

    [Fact]
    public async Task Healthy_while_oxbow_is_not_configured()
    {
        var client = await HealthEndpointAsync();
        Assert.Equal((HttpStatusCode.OK, "Healthy"), await CheckAsync(client));
    }

    /// <summary>A sink stuck in its first batch until released: the queue behind it fills.</summary>
    private sealed class BlockedSink(ManualResetEventSlim release) : Oxbow.Sinks.IEventSink
    {
        public ManualResetEventSlim Entered { get; } = new();

        public void Emit(in Oxbow.Sinks.EventBatch batch)
        {
            Entered.Set();
            release.Wait(TimeSpan.FromMinutes(2));
        }
    }

    private sealed class NullSink : Oxbow.Sinks.IEventSink
    {
        public void Emit(in Oxbow.Sinks.EventBatch batch)
        {
        }
    }
}
