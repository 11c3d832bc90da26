using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Resource.V1;
using Oxbow.Transport;

namespace Oxbow.Benchmarks;

/// <summary>
/// Durable ingest of the same events through the native protocol, OTLP/HTTP protobuf and Seq's CLEF, into one
/// collector, alternated within one run (native, OTLP, CLEF, native, …) because this machine drifts minute to minute.
/// Each round sends 200,000 events from 4 concurrent senders and ends when every request is answered (which the
/// collector does only once the events are fsynced into the store). OTLP requests carry 512 records, the
/// OpenTelemetry SDK's default export batch; native batches and CLEF requests 1,000 events. Native lines are canonical,
/// as Oxbow's clients send them. Ten alternated rounds of each come first, unmeasured.
/// </summary>
/// <remarks>dotnet run -c Release --project bench/Oxbow.Benchmarks -- receivers [rounds]</remarks>
internal static class ReceiverComparison
{
    private static readonly int Senders = int.TryParse(Environment.GetEnvironmentVariable("RECEIVER_SENDERS"), out var n) ? n : 4;
    private const int EventsPerRound = 200_000;
    private static readonly int WarmUpRounds = int.TryParse(Environment.GetEnvironmentVariable("RECEIVER_WARMUP"), out var w) ? w : 10;

    public static void Run(int rounds)
    {
        var directory = Path.Combine(Path.GetTempPath(), "oxbow-receivers-" + Guid.NewGuid().ToString("n")[..8]);
        var (ingest, control, otlp) = (Harness.FreePort(), Harness.FreePort(), Harness.FreePort());
        using var collector = Process.Start(new ProcessStartInfo("dotnet", [IngestBenchmarks.CliDll(), "serve", "--data", directory, "--listen", $"127.0.0.1:{ingest}",
            "--control", $"127.0.0.1:{control}", "--otlp", $"127.0.0.1:{otlp}", "--compact-after", "off"])
        { RedirectStandardOutput = true, RedirectStandardError = true })!;
        collector.OutputDataReceived += (_, _) => { };
        collector.ErrorDataReceived += (_, _) => { };
        collector.BeginOutputReadLine();
        collector.BeginErrorReadLine();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Senders * 2 }) { Timeout = TimeSpan.FromMinutes(5) };
        try
        {
            WaitHealthy(http, control);
            var native = NativeBatch(1000);
            var otlpBatch = int.TryParse(Environment.GetEnvironmentVariable("RECEIVER_OTLP_BATCH"), out var b) ? b : 512;
            var otlpBody = OtlpRequest(otlpBatch);
            var clef = ClefBody(1000);
            (string Name, Func<Task> Round)[] contenders =
            [
                ("native (binary protocol)", () => NativeRound(ingest, native, 1000)),
                ("OTLP/HTTP protobuf", () => HttpRound(http, $"http://127.0.0.1:{otlp}/v1/logs", "application/x-protobuf", otlpBody, otlpBatch)),
                ("Seq CLEF", () => HttpRound(http, $"http://127.0.0.1:{control}/ingest/clef", "application/vnd.serilog.clef", clef, 1000)),
            ];
            // RECEIVER_ONLY=OTLP (a part of a name) runs one contender alone, to profile the collector under it.
            if (Environment.GetEnvironmentVariable("RECEIVER_ONLY") is { Length: > 0 } only)
            {
                contenders = [.. contenders.Where(c => c.Name.Contains(only, StringComparison.OrdinalIgnoreCase))];
            }
            // Unmeasured rounds first, alternated too, until the collector's JIT has settled (measured here: about 8
            // rounds of 200,000 events each); a collector runs for days, so its steady state is what is measured.
            for (var warm = 0; warm < WarmUpRounds; warm++)
            {
                foreach (var (_, round) in contenders)
                {
                    round().GetAwaiter().GetResult();
                }
            }

            var rates = contenders.ToDictionary(c => c.Name, _ => new List<double>());
            var cpu = contenders.ToDictionary(c => c.Name, _ => new List<double>());
            for (var r = 0; r < rounds; r++)
            {
                foreach (var (name, round) in contenders)
                {
                    collector.Refresh();
                    var cpuBefore = collector.TotalProcessorTime;
                    var clock = Stopwatch.StartNew();
                    round().GetAwaiter().GetResult();
                    rates[name].Add(EventsPerRound / clock.Elapsed.TotalSeconds);
                    collector.Refresh();
                    cpu[name].Add((collector.TotalProcessorTime - cpuBefore).TotalMicroseconds / EventsPerRound);
                    if (Environment.GetEnvironmentVariable("RECEIVER_VERBOSE") is not null)
                    {
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {r}: {name}: {rates[name][^1]:N0} events/s, {cpu[name][^1]:0.00} µs CPU per event"));
                    }
                }
            }

            var baseline = Harness.Median(rates[contenders[0].Name]);
            Console.WriteLine($"| receiver | median events/s over {rounds} alternated rounds | ratio to native | collector CPU µs per event |");
            Console.WriteLine("|---|---:|---:|---:|");
            foreach (var (name, _) in contenders)
            {
                var median = Harness.Median(rates[name]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {median:N0} | {median / baseline:0.00} | {Harness.Median(cpu[name]):0.00} |"));
            }
        }
        finally
        {
            collector.Kill();
            collector.WaitForExit();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task NativeRound(int port, byte[] batch, int perBatch)
    {
        var senders = Enumerable.Range(0, Senders).Select(_ => new BatchSender(new BatchSenderOptions { Endpoints = [$"127.0.0.1:{port}"] })).ToList();
        try
        {
            var perSender = EventsPerRound / Senders / perBatch;
            var outcomes = await Task.WhenAll(senders.SelectMany(s => Enumerable.Range(0, perSender).Select(_ => s.SendAsync(new OutgoingBatch(BatchId.New(), perBatch, batch)))));
            if (outcomes.Any(o => !o.Acknowledged))
            {
                throw new InvalidOperationException("a batch was not acknowledged");
            }
        }
        finally
        {
            foreach (var sender in senders)
            {
                await sender.DisposeAsync();
            }
        }
    }

    /// <summary>Each sender posts one request at a time, as an exporter does.</summary>
    private static Task HttpRound(HttpClient http, string url, string contentType, byte[] body, int perRequest)
    {
        var requests = EventsPerRound / perRequest / Senders;
        return Task.WhenAll(Enumerable.Range(0, Senders).Select(async _ =>
        {
            for (var i = 0; i < requests; i++)
            {
                using var content = new ByteArrayContent(body);
                content.Headers.TryAddWithoutValidation("Content-Type", contentType);
                using var answer = await http.PostAsync(url, content);
                if (!answer.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"{url}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
                }
            }
        }));
    }

    private static byte[] NativeBatch(int count)
    {
        var text = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            var now = Timestamps.Format(DateTime.UtcNow);
            // As Oxbow's clients send them: canonical, id and start included.
            text.Append("{\"id\":\"").Append(OxId.NewId()).Append("\",\"type\":\"request\",\"start\":\"").Append(now).Append("\",\"end\":\"").Append(now).Append("\",\"level\":\"info\",\"host\":\"bench-host\",\"pid\":1,\"app\":\"bench\",\"body\":{")
                .Append("\"message\":\"GET /api/orders/").Append(i).Append(" answered 200\",\"method\":\"GET\",\"path\":\"/api/orders/").Append(i)
                .Append("\",\"status\":200,\"request_time\":0.0123,\"user\":\"u-1234\",\"ua\":\"Mozilla/5.0 (X11; Linux x86_64)\"}}\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static byte[] OtlpRequest(int count)
    {
        var scope = new ScopeLogs { Scope = new InstrumentationScope { Name = "Bench" } };
        var now = (ulong)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        for (var i = 0; i < count; i++)
        {
            var record = new LogRecord
            {
                TimeUnixNano = now,
                SeverityNumber = SeverityNumber.Info,
                Body = new AnyValue { StringValue = $"GET /api/orders/{i} answered 200" },
                TraceId = ByteString.CopyFrom(Convert.FromHexString("4bf92f3577b34da6a3ce929d0e0e4736")),
                SpanId = ByteString.CopyFrom(Convert.FromHexString("00f067aa0ba902b7")),
            };
            record.Attributes.Add(Pair("method", new AnyValue { StringValue = "GET" }));
            record.Attributes.Add(Pair("path", new AnyValue { StringValue = $"/api/orders/{i}" }));
            record.Attributes.Add(Pair("status", new AnyValue { IntValue = 200 }));
            record.Attributes.Add(Pair("request_time", new AnyValue { DoubleValue = 0.0123 }));
            record.Attributes.Add(Pair("user", new AnyValue { StringValue = "u-1234" }));
            record.Attributes.Add(Pair("ua", new AnyValue { StringValue = "Mozilla/5.0 (X11; Linux x86_64)" }));
            scope.LogRecords.Add(record);
        }

        var resource = new Resource();
        resource.Attributes.Add(Pair("service.name", new AnyValue { StringValue = "bench" }));
        resource.Attributes.Add(Pair("host.name", new AnyValue { StringValue = "bench-host" }));
        var request = new ExportLogsServiceRequest();
        request.ResourceLogs.Add(new ResourceLogs { Resource = resource, ScopeLogs = { scope } });
        return request.ToByteArray();

        static KeyValue Pair(string key, AnyValue value) => new() { Key = key, Value = value };
    }

    private static byte[] ClefBody(int count)
    {
        var text = new StringBuilder();
        var now = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        for (var i = 0; i < count; i++)
        {
            text.Append("{\"@t\":\"").Append(now).Append("\",\"@mt\":\"{Method} {Path} answered {Status}\",\"Method\":\"GET\",\"Path\":\"/api/orders/").Append(i)
                .Append("\",\"Status\":200,\"RequestTime\":0.0123,\"User\":\"u-1234\",\"Ua\":\"Mozilla/5.0 (X11; Linux x86_64)\",\"MachineName\":\"bench-host\",\"Application\":\"bench\"}\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }


    private static void WaitHealthy(HttpClient http, int control)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                if (http.GetAsync($"http://127.0.0.1:{control}/healthz").Result.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (AggregateException) when (DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the collector did not start");
            }

            Thread.Sleep(50);
        }
    }
}

/// <summary>
/// Where an OTLP or CLEF request's time goes in the collector, in process: the generated parser (for comparison: the
/// log path no longer uses it), the mapping from the request's bytes to event lines, and the pipeline's validation.
/// </summary>
internal static class ReceiverProfile
{
    public static void Run()
    {
        var otlp = typeof(ReceiverComparison).GetMethod("OtlpRequest", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.Invoke(null, [512]) as byte[];
        var clef = typeof(ReceiverComparison).GetMethod("ClefBody", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.Invoke(null, [1000]) as byte[];
        var mapping = new Oxbow.Receivers.Otlp.OtlpMapping();
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("RECEIVER_PROFILE_ROUNDS"), out var r) ? r : 3;
        for (var round = 0; round < rounds; round++)
        {
            var clock = Stopwatch.StartNew();
            const int N = 400;
            Oxbow.Receivers.Events.ReceivedEvents events = default;
            for (var i = 0; i < N; i++)
            {
                ExportLogsServiceRequest.Parser.ParseFrom(otlp);
            }

            var parse = clock.Elapsed.TotalMicroseconds / (N * 512);
            clock.Restart();
            for (var i = 0; i < N; i++)
            {
                events.Dispose();
                events = Oxbow.Receivers.Otlp.OtlpDecoder.Map(Oxbow.Receivers.Otlp.OtlpSignal.Logs, otlp, json: false, mapping, DateTime.UtcNow);
            }

            var map = clock.Elapsed.TotalMicroseconds / (N * 512);
            clock.Restart();
            for (var i = 0; i < N; i++)
            {
                Oxbow.Daemon.Ingest.EventLines.Validate(events.Lines, DateTime.UtcNow, 1 << 20);
            }

            var validate = clock.Elapsed.TotalMicroseconds / (N * 512);
            clock.Restart();
            for (var i = 0; i < N / 2; i++)
            {
                Oxbow.Receivers.Seq.ClefEvents.Map(clef, true, new Oxbow.Receivers.Seq.ClefMapping(), []).Dispose();
            }

            var clefMap = clock.Elapsed.TotalMicroseconds / (N / 2 * 1000);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"µs per event: OTLP generated parser {parse:0.00}, map from bytes {map:0.00}, validate {validate:0.00}; CLEF map {clefMap:0.00}; OTLP line {events.Lines.Length / 512} bytes"));
        }
    }
}
