using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Oxbow.Daemon.Tests.Support;
using Oxbow.Transport;
using Xunit.Abstractions;

namespace Oxbow.Daemon.Tests;

/// <summary>
/// Mixed valid and hostile traffic against one real collector for minutes: fuzzed frames, idle and trickling
/// connections, poison events, backfills, syslog from anywhere, runaway queries; meanwhile a valid client sends and
/// queries run. docs/daemon.md ("Limits and failure behaviour") records the figures.
/// </summary>
public sealed class SoakTests(ITestOutputHelper output)
{
    private const long RssBound = 1536L << 20; // 1.5 GiB: DuckDB's 512 MiB (--query-memory below) and the rest
    private const int DescriptorBound = 512;

    [Fact]
    public async Task Under_mixed_valid_and_hostile_traffic_every_acknowledged_event_is_stored_once_within_stated_bounds_and_every_query_answers()
    {
        // One minute in every run (CI included); OXBOW_SOAK_MINUTES=10 is the recorded run in docs/daemon.md.
        var minutes = double.Parse(Environment.GetEnvironmentVariable("OXBOW_SOAK_MINUTES") ?? "1", CultureInfo.InvariantCulture);
        using var dir = new TempDirectory();
        var udpPort = DaemonProcess.FreePort();
        var tcpPort = DaemonProcess.FreePort();
        await using var collector = new DaemonProcess(dir.Sub("data"),
            "--syslog-udp", $"127.0.0.1:{udpPort}", "--syslog-tcp", $"127.0.0.1:{tcpPort}", "--syslog-allow", "127.0.0.1/32",
            "--max-open-files", "64", "--idle-timeout", "5", "--frame-timeout", "5", "--query-timeout", "20", "--query-memory", "512MiB",
            "--partial-bytes-budget", (64L << 20).ToString(CultureInfo.InvariantCulture), "--max-connections", "200", "--seal-after", "2", "--compact-after", "5");
        await collector.StartAsync();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(minutes));
        var token = stop.Token;
        var acknowledged = 0L;
        var queriesAnswered = 0L;
        var queriesTimedOut = 0L;
        var queryFailures = new List<string>();
        long peakRss = 0, peakFds = 0, lastBackfill = 0;

        var valid = Task.Run(async () =>
        {
            await using var sender = new BatchSender(new BatchSenderOptions { Endpoints = [collector.Ingest] });
            for (var batch = 0; !token.IsCancellationRequested; batch++)
            {
                var outcome = await sender.SendAsync(new OutgoingBatch(BatchId.New(), 500, StoredEvents.Events(batch * 500, (batch + 1) * 500, "valid")));
                Assert.True(outcome.Acknowledged, outcome.Rejection?.Message);
                Interlocked.Add(ref acknowledged, 500);
                await Task.Delay(50); // about 10,000 events a second, steady: a busy service, not a benchmark
            }
        });
        var queries = Task.Run(async () =>
        {
            while (!token.IsCancellationRequested)
            {
                HttpStatusCode status;
                string body;
                try
                {
                    (status, body) = await collector.QueryAsync("SELECT type, count(*) AS n FROM events GROUP BY type ORDER BY type");
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    (status, body) = (0, $"no answer within the client's 30 s (the query timeout is 20 s): {ex.Message}");
                }

                if (status == HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref queriesAnswered);
                }
                else if (status == HttpStatusCode.RequestTimeout)
                {
                    // An answer too: the query was stopped at its timeout, and said so.
                    Interlocked.Increment(ref queriesTimedOut);
                }
                else
                {
                    lock (queryFailures)
                    {
                        queryFailures.Add($"{status}: {body}");
                    }
                }

                var (runaway, _) = await collector.QueryAsync("SELECT sum(a.range * b.range) FROM range(1000000000) a, range(1000000000) b", timeoutSeconds: 1);
                Assert.Equal(HttpStatusCode.RequestTimeout, runaway);
            }
        });
        var watch = Task.Run(async () =>
        {
            while (!token.IsCancellationRequested)
            {
                peakRss = Math.Max(peakRss, Process.GetProcessById(collector.Pid).WorkingSet64);
                peakFds = Math.Max(peakFds, collector.OpenDescriptors);
                await Task.Delay(1000);
            }
        });
        Task[] hostile =
        [
            Forever(token, FuzzedFramesAsync),
            Forever(token, TricklingAndIdleConnectionsAsync),
            Forever(token, PoisonOverHttpAsync),
            Forever(token, SyslogFromAnyoneAsync),
        ];

        await Task.WhenAll([valid, queries, watch, .. hostile]);
        var expected = Interlocked.Read(ref acknowledged);
        const string Check = "SELECT count(*) AS n, count(DISTINCT id) AS ids FROM valid";
        await Eventually.TrueAsync(() => collector.QueryAsync(Check, timeoutSeconds: 300).Result.Body == $"n,ids\r\n{expected},{expected}\r\n",
            () => collector.QueryAsync(Check, timeoutSeconds: 300).Result.Body, seconds: 300);
        var stats = await collector.StatsAsync();
        var stopwatch = Stopwatch.StartNew();
        Assert.Equal(0, await collector.TerminateAsync());
        var stopped = stopwatch.Elapsed;

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"soak {minutes} min: {expected} valid events acknowledged and stored once; {queriesAnswered} queries answered, {queriesTimedOut} stopped at their timeout, {queryFailures.Count} failed; " +
            $"peak RSS {peakRss >> 20} MiB (bound {RssBound >> 20}); peak fds {peakFds} (bound {DescriptorBound}); SIGTERM to exit {stopped.TotalSeconds:0.0} s"));
        output.WriteLine(stats.GetProperty("rejects").ToString());
        output.WriteLine(stats.GetProperty("counters").ToString());
        Assert.True(queryFailures.Count == 0, string.Join("\n", queryFailures) + "\n" + collector.Output[^Math.Min(20_000, collector.Output.Length)..]);
        Assert.True(peakRss < RssBound, $"peak RSS {peakRss >> 20} MiB");
        Assert.True(peakFds < DescriptorBound, $"peak {peakFds} descriptors");

        async Task FuzzedFramesAsync(Random random)
        {
            var frame = Frames.Batch(BatchId.New(), 3, StoredEvents.Events(0, 3, "fuzz"));
            for (var i = random.Next(1, 8); i > 0; i--)
            {
                frame[random.Next(frame.Length)] = (byte)random.Next(256);
            }

            var hello = Frames.Hello(new HelloMessage(Protocol.Version, Protocol.Version, "", "fuzz"));
            await RawConnection.ExchangeAsync(collector.IngestPort, random.Next(4) == 0 ? frame : [.. hello, .. frame]);
        }

        async Task TricklingAndIdleConnectionsAsync(Random random)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, collector.IngestPort);
            var hello = Frames.Hello(new HelloMessage(Protocol.Version, Protocol.Version, "", "slow"));
            var big = Frames.Batch(BatchId.New(), 1000, StoredEvents.Events(0, 1000, "slow"));
            await client.GetStream().WriteAsync(random.Next(2) == 0 ? hello : [.. hello, .. big[..^1]]);
            var buffer = new byte[4096];
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (await client.GetStream().ReadAsync(buffer, limit.Token) > 0)
            {
            }
        }

        async Task PoisonOverHttpAsync(Random random)
        {
            var now = Timestamps.Format(DateTime.UtcNow);
            string[] lines =
            [
                $"{{\"type\":\"poison\",\"body\":{{\"Abc\":1,\"abc\":2,\"\":3,\"o\":{{\"X\":1,\"x\":2}}}}}}\n",
                $"{{\"id\":\"{OxId.NewId()}\",\"type\":\"poison\",\"start\":\"{now}\",\"end\":\"{now}\",\"id\":\"dup\",\"body\":{{\"a\":1,\"A\":2}}}}\n",
                "{\"type\":\"poison\",\"v\":\"\\ud800\"}\n",
                "{\"type\":\"poison\",\"end\":\"2026-02-31T10:00:00Z\"}\n",
                "{\"type\":\"poison\",\"end\":\"9999-01-01T00:00:00Z\"}\n",
                string.Concat(Enumerable.Range(0, 300).Select(h => $"{{\"type\":\"backfill\",\"end\":\"{Timestamps.Format(new DateTime(1990, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddHours(random.Next(300_000)))}\"}}\n")),
            ];
            // A backfill of 300 scattered hours about every 20 s: each makes up to 300 files. (How fast a query defines
            // its views over hundreds of thousands of files is issue 23's subject; this soak is about bounds.)
            var backfill = Environment.TickCount64 - Interlocked.Read(ref lastBackfill) > 20_000;
            if (backfill)
            {
                Interlocked.Exchange(ref lastBackfill, Environment.TickCount64);
            }

            var pick = backfill ? lines.Length - 1 : random.Next(lines.Length - 1);
            var content = new ByteArrayContent(Encoding.UTF8.GetBytes(lines[pick]));
            if (random.Next(5) == 0)
            {
                var zipped = new MemoryStream();
                using (var gzip = new GZipStream(zipped, CompressionLevel.Fastest, leaveOpen: true))
                {
                    gzip.Write(Encoding.UTF8.GetBytes(lines[0]));
                    gzip.Flush();
                }

                content = new ByteArrayContent(zipped.ToArray()[..(int)(zipped.Length - 3)]);
                content.Headers.ContentEncoding.Add("gzip");
            }

            using var response = await collector.Http.PostAsync("v1/events", content);
        }

        async Task SyslogFromAnyoneAsync(Random random)
        {
            using var udp = new UdpClient(new IPEndPoint(IPAddress.Parse(random.Next(2) == 0 ? "127.0.0.1" : "127.0.0.9"), 0));
            var messages = new[] { "<13>Nov 22 09:00:00 host app: @cee: {\"type\":\"billing\"}", "<999>garbage", "<13>1 broken" };
            await udp.SendAsync(Encoding.UTF8.GetBytes(messages[random.Next(messages.Length)]), new IPEndPoint(IPAddress.Loopback, udpPort));
            await Task.Delay(random.Next(5));
        }
    }

    private static Task Forever(CancellationToken token, Func<Random, Task> work) => Task.Run(async () =>
    {
        var random = new Random(work.Method.Name.GetHashCode(StringComparison.Ordinal));
        while (!token.IsCancellationRequested)
        {
            try
            {
                await work(random);
            }
            catch (Exception ex) when (ex is IOException or SocketException or HttpRequestException or OperationCanceledException)
            {
                // Hostile traffic is refused in many ways, closed connections among them.
            }
        }
    });
}
