using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Oxbow.AspNetCore;
using Oxbow.Daemon.Tests.Support;

namespace Oxbow.Daemon.Tests;

public sealed class TraceAcrossServicesTests
{
    [Fact]
    public async Task A_trace_through_an_opentelemetry_service_and_an_oxbow_service_reads_as_one_trace_in_the_collector()
    {
        using var dir = new TempDirectory();
        var otlp = DaemonProcess.FreePort();
        await using var collector = new DaemonProcess(dir.Sub("data"), "--otlp", $"127.0.0.1:{otlp}");
        await collector.StartAsync();

        // "stock" uses Oxbow: its request events go over the native protocol.
        Ox.Configure(o =>
        {
            o.Sinks.Clear();
            o.App = "stock";
            o.WriteToOxbow(collector.Ingest);
            o.SinkFailureOutput = null;
        });
        try
        {
            var stockBuilder = WebApplication.CreateSlimBuilder();
            stockBuilder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
            await using var stock = stockBuilder.Build();
            stock.UseOxbowRequests();
            stock.MapGet("/stock/{sku}", (string sku) => Results.Text("12"));
            await stock.StartAsync();

            // "orders" uses OpenTelemetry's ASP.NET Core and HttpClient instrumentation, exporting spans over OTLP.
            var ordersBuilder = WebApplication.CreateSlimBuilder();
            ordersBuilder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
            ordersBuilder.Services.AddOpenTelemetry()
                .ConfigureResource(r => r.AddService("orders"))
                // Both apps share this test's process, and instrumentation listens process-wide: record only what
                // "orders" does (its server span and its call to stock), as if each app were its own process.
                .WithTracing(t => t
                    .AddAspNetCoreInstrumentation(o => o.Filter = http => http.Request.Path.StartsWithSegments("/orders"))
                    .AddHttpClientInstrumentation(o => o.FilterHttpRequestMessage = request => request.RequestUri?.AbsolutePath.StartsWith("/stock/", StringComparison.Ordinal) == true)
                    .AddOtlpExporter(e =>
                    {
                        e.Protocol = OtlpExportProtocol.HttpProtobuf;
                        e.Endpoint = new Uri($"http://127.0.0.1:{otlp}/v1/traces");
                    }));
            using var toStock = new HttpClient { BaseAddress = new Uri(stock.Urls.First()) };
            await using (var orders = ordersBuilder.Build())
            {
                orders.MapGet("/orders/{id}", async (string id) => Results.Text("stock " + await toStock.GetStringAsync("stock/" + id)));
                await orders.StartAsync();
                using var client = new HttpClient { BaseAddress = new Uri(orders.Urls.First()) };
                Assert.Equal("stock 12", await client.GetStringAsync("orders/77"));
                await orders.StopAsync(); // the tracer provider exports what is left as the host stops
            }

            Assert.True(Ox.Flush());
            var rows = await collector.WaitForRowsAsync(
                "SELECT e.type, e.app, s.kind FROM events e LEFT JOIN span s ON s.span_id = e.span_id " +
                "WHERE e.trace_id = (SELECT trace_id FROM request) ORDER BY e.start, e.type", 3);
            // One trace: the OTel server span, its client span, and the Oxbow request event the call arrived as.
            Assert.Equal("type,app,kind\r\nspan,orders,server\r\nspan,orders,client\r\nrequest,stock,\r\n", rows);
            var (_, parent) = await collector.QueryAsync("SELECT (SELECT span_id FROM span WHERE kind = 'client') = (SELECT parent_span_id FROM request) AS parent_is_the_client_span");
            Assert.Equal("parent_is_the_client_span\r\ntrue\r\n", parent);
        }
        finally
        {
            Ox.Shutdown();
        }
    }
}
