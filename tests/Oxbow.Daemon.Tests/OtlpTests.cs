using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Oxbow.Daemon.Tests.Support;
using Serilog;

namespace Oxbow.Daemon.Tests;

public sealed class OtlpTests
{
    private static ResourceBuilder Shop() => ResourceBuilder.CreateEmpty()
        .AddService("shop")
        .AddAttributes([new("host.name", "web1"), new("deployment.environment", "test")]);

    private static DaemonProcess Collector(TempDirectory dir, out int http, out int grpc, params string[] more)
    {
        http = DaemonProcess.FreePort();
        grpc = DaemonProcess.FreePort();
        return new DaemonProcess(dir.Sub("data"), ["--otlp", $"127.0.0.1:{http}", "--otlp-grpc", $"127.0.0.1:{grpc}", "--accept-past", "off", .. more]);
    }

    [Theory]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    [InlineData(OtlpExportProtocol.Grpc)]
    public async Task Logs_from_the_OpenTelemetry_SDK_arrive_as_events_with_their_level_fields_template_resource_and_exception(OtlpExportProtocol protocol)
    {
        using var dir = new TempDirectory();
        await using var collector = Collector(dir, out var http, out var grpc);
        await collector.StartAsync();

        using (var factory = LoggerFactory.Create(logging => logging.AddOpenTelemetry(otel =>
        {
            otel.SetResourceBuilder(Shop());
            otel.IncludeFormattedMessage = true;
            otel.AddOtlpExporter(exporter =>
            {
                exporter.Protocol = protocol;
                exporter.Endpoint = new Uri(protocol == OtlpExportProtocol.Grpc ? $"http://127.0.0.1:{grpc}" : $"http://127.0.0.1:{http}/v1/logs");
            });
        })))
        {
            var logger = factory.CreateLogger("Shop.Orders");
            logger.LogWarning("Order {OrderId} shipped to {Country}", 42, "UK");
            try
            {
                throw new InvalidOperationException("boom", new ArgumentException("bad id"));
            }
            catch (InvalidOperationException ex)
            {
                logger.LogError(ex, "Order {OrderId} failed", 43);
            }
        }

        var rows = await collector.WaitForRowsAsync("SELECT level, app, host, OrderId, Country, message, template, scope, resource.deployment.environment AS env FROM \"otel.log\" ORDER BY OrderId", 2);
        Assert.Equal(
            "level,app,host,OrderId,Country,message,template,scope,env\r\n" +
            "warning,shop,web1,42,UK,Order 42 shipped to UK,Order {OrderId} shipped to {Country},Shop.Orders,test\r\n" +
            "error,shop,web1,43,,Order 43 failed,Order {OrderId} failed,Shop.Orders,test\r\n", rows);
        var (_, exception) = await collector.QueryAsync(
            "SELECT exception.type, exception.message, exception.inner[1].type AS inner_type, exception.inner[1].message AS inner_message, " +
            "len(exception.frames) > 0 AS has_frames FROM \"otel.log\" WHERE OrderId = 43");
        Assert.Equal("type,message,inner_type,inner_message,has_frames\r\nSystem.InvalidOperationException,boom,System.ArgumentException,bad id,true\r\n", exception);
    }

    [Theory]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    [InlineData(OtlpExportProtocol.Grpc)]
    public async Task Spans_from_the_OpenTelemetry_SDK_arrive_as_span_events_that_keep_their_trace_parent_kind_status_and_attributes(OtlpExportProtocol protocol)
    {
        using var dir = new TempDirectory();
        await using var collector = Collector(dir, out var http, out var grpc);
        await collector.StartAsync();

        var sourceName = "Shop.Tests." + protocol;
        string traceId, parentId, childId;
        using (var source = new ActivitySource(sourceName))
        using (var tracing = Sdk.CreateTracerProviderBuilder().AddSource(sourceName).SetResourceBuilder(Shop())
            .AddOtlpExporter(exporter =>
            {
                exporter.Protocol = protocol;
                exporter.Endpoint = new Uri(protocol == OtlpExportProtocol.Grpc ? $"http://127.0.0.1:{grpc}" : $"http://127.0.0.1:{http}/v1/traces");
            }).Build())
        {
            using (var parent = source.StartActivity("checkout", ActivityKind.Server)!)
            {
                parent.SetTag("order.id", 42);
                parent.SetTag("http.route", "/checkout");
                using (var child = source.StartActivity("db", ActivityKind.Client)!)
                {
                    child.SetStatus(ActivityStatusCode.Error, "timeout");
                    childId = child.SpanId.ToHexString();
                }

                traceId = parent.TraceId.ToHexString();
                parentId = parent.SpanId.ToHexString();
            }
        }

        var rows = await collector.WaitForRowsAsync("SELECT name, kind, level, app, trace_id, span_id, parent_span_id, status.code AS status, status.message AS why, \"order\".id AS order_id, http.route AS route " +
            "FROM span ORDER BY name", 2);
        Assert.Equal(
            "name,kind,level,app,trace_id,span_id,parent_span_id,status,why,order_id,route\r\n" +
            $"checkout,server,info,shop,{traceId},{parentId},,,,42,/checkout\r\n" +
            $"db,client,error,shop,{traceId},{childId},{parentId},error,timeout,,\r\n", rows);
    }

    [Fact]
    public async Task Serilog_sinks_opentelemetry_sends_events_with_their_properties_and_trace()
    {
        using var dir = new TempDirectory();
        await using var collector = Collector(dir, out var http, out _);
        await collector.StartAsync();
        using (var log = new LoggerConfiguration()
            .WriteTo.OpenTelemetry(otel =>
            {
                otel.Endpoint = $"http://127.0.0.1:{http}/v1/logs";
                otel.Protocol = Serilog.Sinks.OpenTelemetry.OtlpProtocol.HttpProtobuf;
                otel.ResourceAttributes = new Dictionary<string, object> { ["service.name"] = "billing", ["host.name"] = "web2" };
            })
            .CreateLogger())
        {
            using var activity = new Activity("charge").Start();
            log.Warning("Invoice {InvoiceId} overdue by {Days} days", "INV-7", 12);
            activity.Stop();
        }

        var rows = await collector.WaitForRowsAsync("SELECT level, app, host, message, template, InvoiceId, Days, trace_id IS NOT NULL AS traced FROM \"otel.log\"", 1);
        Assert.Equal("level,app,host,message,template,InvoiceId,Days,traced\r\n" +
            "warning,billing,web2,Invoice INV-7 overdue by 12 days,Invoice {InvoiceId} overdue by {Days} days,INV-7,12,true\r\n", rows);
    }

    [Fact]
    public async Task The_specification_json_examples_sent_with_curl_are_stored_with_hex_ids_and_nested_attributes()
    {
        using var dir = new TempDirectory();
        await using var collector = Collector(dir, out var http, out _);
        await collector.StartAsync();
        foreach (var (file, path) in new[] { ("logs.json", "v1/logs"), ("trace.json", "v1/traces") })
        {
            var curl = await RunAsync("curl", "-sS", "-w", "%{http_code}", "-o", "/dev/null", "-H", "Content-Type: application/json",
                "--data-binary", "@" + Path.Combine(AppContext.BaseDirectory, "Otlp", file), $"http://127.0.0.1:{http}/{path}");
            Assert.Equal("200", curl);
        }

        var logs = await collector.WaitForRowsAsync("SELECT \"end\", level, app, trace_id, span_id, message, string.attribute AS s, int.attribute AS i, boolean.attribute AS b, scope FROM \"otel.log\"", 1);
        Assert.Equal("end,level,app,trace_id,span_id,message,s,i,b,scope\r\n" +
            "2018-12-13T14:51:00.300000Z,info,my.service,5b8efff798038103d269b633813fc60c,eee19b7ec3c1b174,Example log record,some string,10,true,my.library\r\n", logs);
        var spans = await collector.WaitForRowsAsync("SELECT start, \"end\", name, kind, parent_span_id, duration, my.span.attr AS attr FROM span", 1);
        Assert.Equal("start,end,name,kind,parent_span_id,duration,attr\r\n" +
            "2018-12-13T14:51:00.000000Z,2018-12-13T14:51:01.000000Z,I'm a server span,server,eee19b7ec3c1b173,1,some value\r\n", spans);
    }

    [Fact]
    public async Task Malformed_bodies_wrong_content_types_and_oversized_bodies_get_clear_4xx_answers_and_the_collector_keeps_serving()
    {
        using var dir = new TempDirectory();
        await using var collector = Collector(dir, out var http, out _, "--max-batch-bytes", "1048576");
        await collector.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}/") };

        async Task<(HttpStatusCode, string)> PostAsync(string path, byte[] body, string contentType, string? encoding = null)
        {
            using var content = new ByteArrayContent(body);
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            if (encoding is not null)
            {
                content.Headers.ContentEncoding.Add(encoding);
            }

            using var answer = await client.PostAsync(path, content);
            return (answer.StatusCode, await answer.Content.ReadAsStringAsync());
        }

        var (status, body) = await PostAsync("v1/logs", [0xff, 0xff, 0xff, 0x0f, 0x01], "application/x-protobuf");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("not an OTLP logs export", body);
        (status, body) = await PostAsync("v1/traces", "{\"resourceSpans\": [ {"u8.ToArray(), "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("not JSON", body);
        (status, _) = await PostAsync("v1/logs", "{}"u8.ToArray(), "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        // A gzip bomb: a few KiB that would inflate far past the batch limit.
        using (var packed = new MemoryStream())
        {
            using (var gzip = new System.IO.Compression.GZipStream(packed, System.IO.Compression.CompressionLevel.SmallestSize, leaveOpen: true))
            {
                gzip.Write(new byte[64 << 20]);
            }

            (status, body) = await PostAsync("v1/logs", packed.ToArray(), "application/x-protobuf", "gzip");
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        }

        (status, _) = await PostAsync("v1/logs", new byte[2 << 20], "application/x-protobuf");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);

        // Still serving: an empty export is a success.
        (status, _) = await PostAsync("v1/logs", "{}"u8.ToArray(), "application/json");
        Assert.Equal(HttpStatusCode.OK, status);
        var rejects = (await collector.StatsAsync()).GetProperty("rejects");
        Assert.Equal(3, rejects.GetProperty("malformed_frame").GetInt64());
        Assert.Equal(2, rejects.GetProperty("frame_too_large").GetInt64());
    }

    [Fact]
    public async Task A_record_over_the_event_limit_is_refused_alone_as_partial_success_and_the_rest_of_a_gzipped_export_is_stored()
    {
        using var dir = new TempDirectory();
        await using var collector = Collector(dir, out var http, out _, "--max-event-bytes", "4096");
        await collector.StartAsync();
        var request = new OpenTelemetry.Proto.Collector.Logs.V1.ExportLogsServiceRequest();
        var scope = new OpenTelemetry.Proto.Logs.V1.ScopeLogs();
        foreach (var text in new[] { "small", new string('x', 10_000), "also small" })
        {
            scope.LogRecords.Add(new OpenTelemetry.Proto.Logs.V1.LogRecord
            {
                TimeUnixNano = (ulong)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100,
                Body = new OpenTelemetry.Proto.Common.V1.AnyValue { StringValue = text },
            });
        }

        request.ResourceLogs.Add(new OpenTelemetry.Proto.Logs.V1.ResourceLogs { ScopeLogs = { scope } });
        using var packed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(packed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Google.Protobuf.MessageExtensions.ToByteArray(request));
        }

        using var content = new ByteArrayContent(packed.ToArray());
        content.Headers.TryAddWithoutValidation("Content-Type", "application/x-protobuf");
        content.Headers.ContentEncoding.Add("gzip");
        using var client = new HttpClient();
        using var answer = await client.PostAsync($"http://127.0.0.1:{http}/v1/logs", content);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var response = OpenTelemetry.Proto.Collector.Logs.V1.ExportLogsServiceResponse.Parser.ParseFrom(await answer.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, response.PartialSuccess.RejectedLogRecords);
        Assert.Equal("a log record's event is over 4096 bytes", response.PartialSuccess.ErrorMessage);
        Assert.Equal("message\r\nalso small\r\nsmall\r\n", await collector.WaitForRowsAsync("SELECT message FROM \"otel.log\" ORDER BY message", 2));
    }

    [Fact]
    public async Task A_token_scoped_to_other_types_is_refused_over_http_and_grpc_and_a_known_token_is_accepted()
    {
        using var dir = new TempDirectory();
        var tokens = Path.Combine(dir.Path, "tokens");
        await File.WriteAllTextAsync(tokens, "admin adm1n\ningest web web*\ningest otel otel.*\n");
        await using var collector = Collector(dir, out var http, out var grpc, "--token-file", tokens);
        await collector.StartAsync();

        void Export(OtlpExportProtocol protocol, string token)
        {
            // Disposing the factory exports what is buffered; a refusal is the exporter's to log, not to throw.
            using (var factory = LoggerFactory.Create(logging => logging.AddOpenTelemetry(otel => otel.AddOtlpExporter(exporter =>
            {
                exporter.Protocol = protocol;
                exporter.Endpoint = new Uri(protocol == OtlpExportProtocol.Grpc ? $"http://127.0.0.1:{grpc}" : $"http://127.0.0.1:{http}/v1/logs");
                exporter.Headers = $"Authorization=Bearer {token}";
            }))))
            {
                factory.CreateLogger("t").LogInformation("with {Token}", token + "/" + protocol);
            }
        }

        Export(OtlpExportProtocol.HttpProtobuf, "web");
        Export(OtlpExportProtocol.Grpc, "web");
        Export(OtlpExportProtocol.HttpProtobuf, "otel");
        Export(OtlpExportProtocol.Grpc, "otel");
        var rows = await collector.WaitForRowsAsync("SELECT Token FROM \"otel.log\" ORDER BY Token", 2);
        Assert.Equal("Token\r\notel/Grpc\r\notel/HttpProtobuf\r\n", rows);
        await Eventually.TrueAsync(async () => (await collector.StatsAsync()).GetProperty("rejects").GetProperty("forbidden").GetInt64() == 2, () => collector.Output);
    }

    private static async Task<string> RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output + await process.StandardError.ReadToEndAsync();
    }
}
