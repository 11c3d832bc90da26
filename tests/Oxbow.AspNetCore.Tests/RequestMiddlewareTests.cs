using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Oxbow.AspNetCore;
using Oxbow.Testing;

namespace Oxbow.AspNetCore.Tests;

public sealed class RequestMiddlewareTests : IAsyncDisposable
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

    /// <summary>
    /// The response can reach the client a moment before the middleware's event is emitted (it ends after the body
    /// is sent): wait, with a deadline, until the capture holds <paramref name="count"/> events of the type.
    /// </summary>
    private static async Task<IReadOnlyList<OxbowEvent>> WaitForAsync(OxCapture capture, string type, int count = 1)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            Ox.Flush();
            var events = capture.OfType(type);
            if (events.Count >= count || DateTime.UtcNow > deadline)
            {
                return events;
            }

            await Task.Delay(10);
        }
    }

    /// <summary>An in-process service: the middleware first, then routes.</summary>
    private async Task<WebApplication> ServiceAsync(string name, Action<WebApplication> routes)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // The capture follows the test's async flow; the test server then runs requests in that flow too.
        builder.WebHost.UseTestServer(o => o.PreserveExecutionContext = true);
        builder.Services.AddRouting();
        var app = builder.Build();
        app.UseOxbowRequests(o =>
        {
            o.AppVersion = name + "-1.0";
            o.Headers.Add("Authorization");
        });
        routes(app);
        await app.StartAsync();
        _apps.Add(app);
        return app;
    }

    [Fact]
    public async Task Service_a_calling_service_b_puts_one_trace_on_both_and_b_is_a_child_of_a()
    {
        using var capture = OxCapture.Start();
        var b = await ServiceAsync("b", app => app.MapGet("/stock/{sku}", (string sku) => Results.Text("12")));
        var bClient = new HttpClient(new OxbowHttpClientHandler(b.GetTestServer().CreateHandler())) { BaseAddress = new Uri("http://b/") };
        var a = await ServiceAsync("a", app => app.MapGet("/orders/{id}", async (string id) => Results.Text("stock " + await bClient.GetStringAsync("stock/" + id + "?api_key=s3cret&x=1"))));
        using var client = a.GetTestClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/orders/77?view=full");
        request.Headers.Add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        request.Headers.Add("X-Request-ID", "req-1");
        request.Headers.Add("Authorization", "Bearer secret");
        request.Headers.Add("Referer", "https://example.org/");
        using var response = await client.SendAsync(request);
        Assert.Equal("stock 12", await response.Content.ReadAsStringAsync());
        var requests = await WaitForAsync(capture, "request", 2);
        var aEvent = Assert.Single(requests, e => (string?)e["app_version"] == "a-1.0");
        var bEvent = Assert.Single(requests, e => (string?)e["app_version"] == "b-1.0");
        var call = capture.Single("request.httpclient");
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", aEvent.TraceId);
        Assert.Equal(aEvent.TraceId, bEvent.TraceId);
        Assert.Equal(aEvent.TraceId, call.TraceId);
        Assert.Equal("00f067aa0ba902b7", aEvent["parent_span_id"]);
        Assert.Equal(aEvent.SpanId, bEvent["parent_span_id"]);
        Assert.NotEqual(aEvent.SpanId, bEvent.SpanId);
        Assert.Equal(aEvent.Id, call.Id);

        Assert.Equal(("GET", "/orders/{id}", "/orders/77", "?view=full", 200L), ((string?)aEvent["method"], (string?)aEvent["route"], (string?)aEvent["path"], (string?)aEvent["query"], Convert.ToInt64(aEvent["status"], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal("req-1", aEvent["request_id"]);
        Assert.Equal("https://example.org/", aEvent["headers.referer"]);
        Assert.Null(aEvent["headers.authorization"]);
        Assert.Equal(8L, Convert.ToInt64(aEvent["response.bytes"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.IsType<double>(aEvent["request_time"]);
        Assert.Equal("http://b/stock/77?api_key=[redacted]&x=1", call["uri"]);
        Assert.Equal(200L, Convert.ToInt64(call["status"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal($"00-{aEvent.TraceId}-{aEvent.SpanId}-01", response.Headers.GetValues("traceresponse").Single());
    }

    [Theory]
    [InlineData("00-00000000000000000000000000000000-00f067aa0ba902b7-01")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01")]
    [InlineData("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")]
    [InlineData("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
    [InlineData("garbage")]
    public async Task An_invalid_traceparent_is_replaced_by_a_new_trace(string header)
    {
        using var capture = OxCapture.Start();
        var app = await ServiceAsync("a", app => app.MapGet("/", () => "ok"));
        using var client = app.GetTestClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("traceparent", header);
        using var response = await client.SendAsync(request);
        var e = Assert.Single(await WaitForAsync(capture, "request"));
        Assert.Matches("^[0-9a-f]{32}$", e.TraceId);
        Assert.NotEqual("00000000000000000000000000000000", e.TraceId);
        Assert.NotEqual("4bf92f3577b34da6a3ce929d0e0e4736", e.TraceId);
        Assert.Null(e["parent_span_id"]);
        Assert.StartsWith($"00-{e.TraceId}-{e.SpanId}-", response.Headers.GetValues("traceresponse").Single());
    }

    [Fact]
    public async Task An_unhandled_exception_is_recorded_with_status_500_and_logs_inside_are_sub_events()
    {
        using var capture = OxCapture.Start();
        var app = await ServiceAsync("a", app => app.MapGet("/boom", () =>
        {
            Ox.Log.Info("about_to_fail");
            throw new InvalidOperationException("kaput");
        }));
        using var client = app.GetTestClient();
        // The test server hands an unhandled exception to the client; a real server answers 500.
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetAsync("/boom"));
        var e = Assert.Single(await WaitForAsync(capture, "request"));
        Assert.Equal(500L, Convert.ToInt64(e["status"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("System.InvalidOperationException", e["exception.type"]);
        Assert.Equal(OxLevel.Error, e.Level);
        var log = capture.Single("request.log");
        Assert.Equal((e.Id, e.TraceId), (log.Id, log.TraceId));
    }

    [Fact]
    public async Task A_log_call_in_a_handler_is_a_sub_event_of_the_request()
    {
        using var capture = OxCapture.Start();
        var app = await ServiceAsync("a", app => app.MapGet("/", () =>
        {
            Ox.Log.Info("handled");
            return "ok";
        }));
        using var client = app.GetTestClient();
        Assert.Equal("ok", await client.GetStringAsync("/"));
        var e = Assert.Single(await WaitForAsync(capture, "request"));
        var log = Assert.Single(await WaitForAsync(capture, "request.log"));
        Assert.Equal((e.Id, e.TraceId, "handled"), (log.Id, log.TraceId, (string?)log["event"]));
    }

    [Fact]
    public async Task A_failed_outgoing_call_is_recorded_as_a_connection_failure()
    {
        using var capture = OxCapture.Start();
        using var client = new HttpClient(new OxbowHttpClientHandler(new SocketsHttpHandler())) { Timeout = TimeSpan.FromSeconds(10) };
        var port = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        port.Start();
        var free = ((IPEndPoint)port.LocalEndpoint).Port;
        port.Stop();
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"http://user:pw@127.0.0.1:{free}/x"));
        Ox.Flush();
        var e = capture.Single("httpclient");
        Assert.Equal("connection_failed", e["error"]);
        Assert.Equal($"http://127.0.0.1:{free}/x", e["uri"]);
        Assert.Equal("System.Net.Http.HttpRequestException", e["exception.type"]);
    }

    /// <summary>A real socket that accepts connections and never answers.</summary>
    private static (System.Net.Sockets.TcpListener Listener, int Port) SilentServer()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        _ = Task.Run(async () =>
        {
            var held = new List<System.Net.Sockets.TcpClient>();
            try
            {
                while (true)
                {
                    held.Add(await listener.AcceptTcpClientAsync());
                }
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or ObjectDisposedException)
            {
                held.ForEach(c => c.Dispose());
            }
        });
        return (listener, ((IPEndPoint)listener.LocalEndpoint).Port);
    }

    private static async Task<OxbowEvent> WaitForHttpClientEventAsync(OxCapture capture) =>
        Assert.Single(await WaitForAsync(capture, "httpclient"));

    [Fact]
    public async Task HttpClient_timeout_against_a_socket_that_never_answers_is_recorded_as_a_timeout()
    {
        using var capture = OxCapture.Start();
        var (listener, port) = SilentServer();
        using var client = new HttpClient(new OxbowHttpClientHandler(new SocketsHttpHandler())) { Timeout = TimeSpan.FromMilliseconds(300) };
        var thrown = await Assert.ThrowsAsync<TaskCanceledException>(() => client.GetAsync($"http://127.0.0.1:{port}/slow"));
        Assert.IsType<TimeoutException>(thrown.InnerException);
        var e = await WaitForHttpClientEventAsync(capture);
        Assert.Equal("timeout", e["error"]);
        Assert.Equal(OxLevel.Error, e.Level);
        listener.Stop();
    }

    [Fact]
    public async Task The_callers_own_cancellation_is_recorded_as_canceled_not_as_a_timeout()
    {
        using var capture = OxCapture.Start();
        var (listener, port) = SilentServer();
        using var client = new HttpClient(new OxbowHttpClientHandler(new SocketsHttpHandler())) { Timeout = TimeSpan.FromMinutes(5) };
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAsync<TaskCanceledException>(() => client.GetAsync($"http://127.0.0.1:{port}/slow", cancel.Token));
        var e = await WaitForHttpClientEventAsync(capture);
        Assert.Equal("canceled", e["error"]);
        listener.Stop();
    }

    [Fact]
    public async Task A_request_without_X_Request_ID_gets_one_and_every_event_of_the_request_carries_it()
    {
        using var capture = OxCapture.Start();
        var app = await ServiceAsync("a", app => app.MapGet("/", () =>
        {
            Ox.Log.Info("handled");
            using (Ox.Context(".db"))
            {
                Ox.Set("rows", 1);
            }

            return "ok";
        }));
        using var client = app.GetTestClient();
        using var response = await client.GetAsync("/");
        var request = Assert.Single(await WaitForAsync(capture, "request"));
        var generated = Assert.IsType<string>(request["request_id"]);
        Assert.Equal(request.Id, generated);
        Assert.Equal(generated, response.Headers.GetValues("X-Request-ID").Single());
        Assert.Equal(generated, capture.Single("request.log")["request_id"]);
        Assert.Equal(generated, capture.Single("request.db")["request_id"]);
    }

    [Fact]
    public async Task An_incoming_X_Request_ID_is_on_the_log_events_of_the_request()
    {
        using var capture = OxCapture.Start();
        var app = await ServiceAsync("a", app => app.MapGet("/", () =>
        {
            Ox.Log.Info("handled");
            return "ok";
        }));
        using var client = app.GetTestClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("X-Request-ID", "req-42");
        using var response = await client.SendAsync(request);
        Assert.Equal("req-42", Assert.Single(await WaitForAsync(capture, "request"))["request_id"]);
        Assert.Equal("req-42", capture.Single("request.log")["request_id"]);
        Assert.False(response.Headers.Contains("X-Request-ID"));
    }
}
