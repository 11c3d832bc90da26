using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Oxbow.AspNetCore.Tests;

/// <summary>
/// Oxbow beside the real OpenTelemetry SDK (ASP.NET Core and HttpClient instrumentation, in-memory exporter) on real
/// Kestrel servers: Oxbow's events name the same spans OpenTelemetry exports.
/// </summary>
public sealed class OpenTelemetryTests : IAsyncDisposable
{
    private readonly List<WebApplication> _apps = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }

        Ox.Shutdown();
    }

    private async Task<WebApplication> KestrelAsync(string version, Action<WebApplicationBuilder> services, Action<WebApplication> routes)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        services(builder);
        var app = builder.Build();
        app.UseOxbowRequests(o => o.AppVersion = version);
        routes(app);
        await app.StartAsync();
        _apps.Add(app);
        return app;
    }

    [Fact]
    public async Task The_request_event_is_the_exported_server_span_and_the_httpclient_event_is_the_exported_client_span()
    {
        var sink = new LineSink();
        Ox.Configure(o =>
        {
            o.Sinks.Clear();
            o.WriteTo(sink);
            o.SinkFailureOutput = null;
        });
        var exported = new List<Activity>();
        var b = await KestrelAsync("b", _ => { }, app => app.MapGet("/stock/{sku}", (string sku) => Results.Text("12")));
        using var bClient = new HttpClient(new OxbowHttpClientHandler(new SocketsHttpHandler())) { BaseAddress = new Uri(b.Urls.First()) };
        var a = await KestrelAsync(
            "a",
            builder => builder.Services.AddOpenTelemetry().WithTracing(t => t.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddInMemoryExporter(exported)),
            app => app.MapGet("/orders/{id}", async (string id) => Results.Text("stock " + await bClient.GetStringAsync("stock/" + id))));

        using var client = new HttpClient { BaseAddress = new Uri(a.Urls.First()) };
        Assert.Equal("stock 12", await client.GetStringAsync("orders/77"));

        // Spans are exported when they end, and the request event is emitted as the middleware returns: wait for both.
        Activity? Exported(ActivityKind kind, string path) =>
            exported.ToArray().FirstOrDefault(s => s.Kind == kind && ((s.GetTagItem("url.path") as string) ?? (s.GetTagItem("url.full") as string) ?? "").EndsWith(path, StringComparison.Ordinal));
        await WaitAsync(() => Exported(ActivityKind.Server, "/orders/77") is not null && Exported(ActivityKind.Client, "/stock/77") is not null
            && sink.Events.Count(e => e.GetProperty("type").GetString() == "request") == 2);
        var server = Exported(ActivityKind.Server, "/orders/77")!;
        var call = Exported(ActivityKind.Client, "/stock/77")!;

        var events = sink.Events;
        var requestA = events.Single(e => e.GetProperty("type").GetString() == "request" && e.GetProperty("body").GetProperty("app_version").GetString() == "a");
        var requestB = events.Single(e => e.GetProperty("type").GetString() == "request" && e.GetProperty("body").GetProperty("app_version").GetString() == "b");
        var httpClient = events.Single(e => e.GetProperty("type").GetString() == "request.httpclient");

        // The request event is OpenTelemetry's server span, not a replacement.
        Assert.Equal(server.TraceId.ToHexString(), requestA.GetProperty("trace_id").GetString());
        Assert.Equal(server.SpanId.ToHexString(), requestA.GetProperty("span_id").GetString());
        // The outgoing call's span is a child of that span.
        Assert.Equal(server.TraceId, call.TraceId);
        Assert.Equal(server.SpanId, call.ParentSpanId);
        // The httpclient event carries the client span, with the server span as its parent.
        Assert.Equal(call.SpanId.ToHexString(), httpClient.GetProperty("span_id").GetString());
        Assert.Equal(server.SpanId.ToHexString(), httpClient.GetProperty("body").GetProperty("parent_span_id").GetString());
        // The callee continued the client span: one trace, joined up.
        Assert.Equal(server.TraceId.ToHexString(), requestB.GetProperty("trace_id").GetString());
        Assert.Equal(call.SpanId.ToHexString(), requestB.GetProperty("body").GetProperty("parent_span_id").GetString());
    }

    [Fact]
    public async Task Without_opentelemetry_the_callee_continues_the_callers_span_as_before()
    {
        var sink = new LineSink();
        Ox.Configure(o =>
        {
            o.Sinks.Clear();
            o.WriteTo(sink);
            o.SinkFailureOutput = null;
        });
        var b = await KestrelAsync("b", _ => { }, app => app.MapGet("/stock/{sku}", (string sku) => Results.Text("12")));
        using var bClient = new HttpClient(new OxbowHttpClientHandler(new SocketsHttpHandler())) { BaseAddress = new Uri(b.Urls.First()) };
        var a = await KestrelAsync("a", _ => { }, app => app.MapGet("/orders/{id}", async (string id) => Results.Text("stock " + await bClient.GetStringAsync("stock/" + id))));
        // The test's own client sends the traceparent below exactly as written: no propagator of its own.
        using var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = new Uri(a.Urls.First()) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "orders/5");
        request.Headers.Add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        using var response = await client.SendAsync(request);
        Assert.Equal("stock 12", await response.Content.ReadAsStringAsync());
        await WaitAsync(() => sink.Events.Count(e => e.GetProperty("type").GetString() == "request") == 2);

        var events = sink.Events;
        var requestA = events.Single(e => e.GetProperty("type").GetString() == "request" && e.GetProperty("body").GetProperty("app_version").GetString() == "a");
        var requestB = events.Single(e => e.GetProperty("type").GetString() == "request" && e.GetProperty("body").GetProperty("app_version").GetString() == "b");
        var httpClient = events.Single(e => e.GetProperty("type").GetString() == "request.httpclient");
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", requestA.GetProperty("trace_id").GetString());
        Assert.Equal("00f067aa0ba902b7", requestA.GetProperty("body").GetProperty("parent_span_id").GetString());
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", requestB.GetProperty("trace_id").GetString());
        // The runtime's HttpClient runs the call as a child span of the caller's even without a listener: the call's
        // event names it, and the callee's request continues it.
        Assert.Equal(requestA.GetProperty("span_id").GetString(), httpClient.GetProperty("body").GetProperty("parent_span_id").GetString());
        Assert.Equal(httpClient.GetProperty("span_id").GetString(), requestB.GetProperty("body").GetProperty("parent_span_id").GetString());
        Assert.Equal(
            $"00-4bf92f3577b34da6a3ce929d0e0e4736-{requestA.GetProperty("span_id").GetString()}-01",
            response.Headers.GetValues("traceresponse").Single());
    }

    private static async Task WaitAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            Ox.Flush();
            if (condition())
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the spans and events");
            await Task.Delay(25);
        }
    }

    /// <summary>Keeps every event as parsed JSON.</summary>
    private sealed class LineSink : Oxbow.Sinks.IEventSink
    {
        private readonly List<JsonElement> _events = [];

        public JsonElement[] Events
        {
            get
            {
                lock (_events)
                {
                    return [.. _events];
                }
            }
        }

        public void Emit(in Oxbow.Sinks.EventBatch batch)
        {
            lock (_events)
            {
                foreach (var line in batch)
                {
                    _events.Add(JsonDocument.Parse(line.ToArray()).RootElement.Clone());
                }
            }
        }
    }
}
