using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Oxbow.AspNetCore;
using Oxbow.Sinks;

namespace Oxbow.Benchmarks;

/// <summary>
/// What <c>UseOxbowRequests</c> adds to a request: the same minimal-API endpoint (<c>GET /orders/{id}</c>, a short
/// text answer) in an in-process TestServer, with and without the middleware, a valid incoming traceparent on every
/// request. Oxbow is configured with a sink that discards batches, so the figure includes building, encoding and
/// queueing the event, but no I/O.
/// </summary>
[MemoryDiagnoser]
public class MiddlewareBenchmarks
{
    private WebApplication _plain = null!;
    private WebApplication _oxbow = null!;
    private HttpClient _plainClient = null!;
    private HttpClient _oxbowClient = null!;

    [GlobalSetup]
    public void Setup()
    {
        Ox.Configure(o =>
        {
            o.Sinks.Clear();
            o.WriteTo(new DiscardSink());
        });
        _plain = App(withOxbow: false);
        _oxbow = App(withOxbow: true);
        _plainClient = _plain.GetTestClient();
        _oxbowClient = _oxbow.GetTestClient();
        foreach (var client in new[] { _plainClient, _oxbowClient })
        {
            client.DefaultRequestHeaders.Add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _plainClient.Dispose();
        _oxbowClient.Dispose();
        _plain.DisposeAsync().AsTask().Wait();
        _oxbow.DisposeAsync().AsTask().Wait();
        Ox.Shutdown();
    }

    [Benchmark(Baseline = true, Description = "request without the middleware")]
    public Task<string> Plain() => _plainClient.GetStringAsync("/orders/42?view=full");

    [Benchmark(Description = "request with UseOxbowRequests")]
    public Task<string> WithOxbow() => _oxbowClient.GetStringAsync("/orders/42?view=full");

    private static WebApplication App(bool withOxbow)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddRouting();
        var app = builder.Build();
        if (withOxbow)
        {
            app.UseOxbowRequests();
        }

        app.MapGet("/orders/{id}", (string id) => "order " + id);
        app.StartAsync().Wait();
        return app;
    }

    private sealed class DiscardSink : IEventSink
    {
        public void Emit(in EventBatch batch)
        {
        }
    }
}
