using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;

namespace Oxbow.Benchmarks;

/// <summary>
/// What the web console costs: its four heaviest calls over the 5M-event query store, asked of a running collector as
/// the page asks them (warm, over loopback HTTP, so each time is the server's time plus a loopback round trip), the
/// calls alternated within each round; then live tail: the collector's HTTP ingest rate with and without three live
/// tail readers (the stream a Live page reads), alternated, and what 50,000 events/s paced does with three readers.
/// <code>
/// dotnet run -c Release --project bench/Oxbow.Benchmarks -- console [ROUNDS]
/// </code>
/// The store must exist (<c>query-store</c>); the collector is src/Oxbow.Cli's Release build (or OXBOW_CLI).
/// </summary>
internal static class ConsoleLatency
{
    public static void Run(string[] args)
    {
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 21;
        var set = new QueryDataset(5_000_000);
        if (!File.Exists(Path.Combine(set.Root, "store.done")))
        {
            throw new InvalidOperationException($"no store at {set.Data}: make it with ... -- query-store");
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
        var cli = Environment.GetEnvironmentVariable("OXBOW_CLI") ?? Path.Combine(Harness.Repository(), "src/Oxbow.Cli/bin/Release/net10.0/Oxbow.Cli.dll");
        Console.WriteLine($"// {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {rounds} rounds, calls alternated within each round; medians in ms");
        Queries(http, cli, set, rounds);
        Tail(http, cli, rounds: 5);
    }

    private static void Queries(HttpClient http, string cli, QueryDataset set, int rounds)
    {
        var port = Harness.FreePort();
        using var collector = Harness.StartQuiet(new ProcessStartInfo("dotnet", [cli, "serve", "--data", set.Data, "--control", $"127.0.0.1:{port}", "--listen", $"127.0.0.1:{Harness.FreePort()}", "--compact-after", "off"]));
        try
        {
            var url = $"http://127.0.0.1:{port}";
            Harness.WaitFor(() => http.GetAsync(url + "/healthz").Result.IsSuccessStatusCode);
            // The store's last day, as "last 24 hours" sees it when the page is opened at its end.
            var last = Get(http, $"{url}/v1/console/search?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&limit=1");
            var end = DateTime.Parse(System.Text.Json.JsonDocument.Parse(last).RootElement.GetProperty("events")[0].GetProperty("end").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
            var range = $"from={end.AddHours(-24):yyyy-MM-ddTHH:mm:ss.fffffffZ}&to={end.AddTicks(10):yyyy-MM-ddTHH:mm:ss.fffffffZ}";
            var filtered = range + "&filter=" + Uri.EscapeDataString("status >= 500");
            var id = (set.TotalEvents / 2).ToString("x32", CultureInfo.InvariantCulture);
            (string Name, Func<int> Ask, int Expected)[] calls =
            [
                ("events page + histogram, 24 h", () => Page(http, url, range), 100),
                ("the same, filtered on one field (status >= 500)", () => Page(http, url, filtered), 100),
                ("event by id + its request tree", () => Events(Get(http, $"{url}/v1/console/request/{id}")), 1),
                ("a trace", () => Events(Get(http, $"{url}/v1/console/trace/{set.LookupTrace}")), 3),
            ];
            Dictionary<string, List<double>> times = calls.ToDictionary(c => c.Name, _ => new List<double>());
            for (var round = -2; round < rounds; round++)
            {
                foreach (var (name, ask, expected) in calls)
                {
                    var stopwatch = Stopwatch.StartNew();
                    var got = ask();
                    var elapsed = stopwatch.Elapsed.TotalMilliseconds;
                    if (got != expected)
                    {
                        throw new InvalidOperationException($"{name}: expected {expected} events, got {got}");
                    }

                    if (round >= 0)
                    {
                        times[name].Add(elapsed);
                    }
                }
            }

            Console.WriteLine();
            Console.WriteLine("| call (5M events) | median ms | p90 ms |");
            Console.WriteLine("|---|---:|---:|");
            foreach (var (name, list) in times)
            {
                var sorted = list.Order().ToList();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {Harness.Median(list):0.0} | {sorted[(int)Math.Ceiling(sorted.Count * 0.9) - 1]:0.0} |"));
            }
        }
        finally
        {
            collector.Kill(entireProcessTree: true);
            collector.WaitForExit();
        }
    }

    /// <summary>The events page's two calls, at once as the page makes them; the page's row count.</summary>
    private static int Page(HttpClient http, string url, string query)
    {
        var search = http.GetStringAsync($"{url}/v1/console/search?{query}&limit=100");
        var histogram = http.GetStringAsync($"{url}/v1/console/histogram?{query}");
        Task.WaitAll(search, histogram);
        return Events(search.Result);
    }

    private static int Events(string json) => System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("events").GetArrayLength();

    private static string Get(HttpClient http, string url)
    {
        using var response = http.GetAsync(url).Result;
        var text = response.Content.ReadAsStringAsync().Result;
        return response.IsSuccessStatusCode ? text : throw new InvalidOperationException($"{url}: {(int)response.StatusCode} {text}");
    }

    /// <summary>Ingest rate through <c>POST /v1/events</c> (two senders, 1,000-event batches) with none and with three tail readers, alternated.</summary>
    private static void Tail(HttpClient http, string cli, int rounds)
    {
        var data = Path.Combine(Path.GetTempPath(), "oxbow-console-bench-" + Guid.NewGuid().ToString("n"));
        var port = Harness.FreePort();
        using var collector = Harness.StartQuiet(new ProcessStartInfo("dotnet", [cli, "serve", "--data", data, "--control", $"127.0.0.1:{port}", "--listen", $"127.0.0.1:{Harness.FreePort()}"]));
        var url = $"http://127.0.0.1:{port}";
        try
        {
            Harness.WaitFor(() => http.GetAsync(url + "/healthz").Result.IsSuccessStatusCode);
            var batch = Batch(1000);
            Dictionary<int, List<double>> rates = new() { [0] = [], [3] = [] };
            for (var round = -1; round < rounds; round++)
            {
                foreach (var readers in new[] { 0, 3 })
                {
                    var (rate, delivered, _) = Ingest(url, batch, readers, TimeSpan.FromSeconds(5), paced: null);
                    if (round >= 0)
                    {
                        rates[readers].Add(rate);
                    }

                    if (readers > 0 && round == rounds - 1)
                    {
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// last round with readers: each reader received {delivered / readers:N0} events"));
                    }
                }
            }

            Console.WriteLine();
            Console.WriteLine("| HTTP ingest, 2 senders × 1,000-event batches | median events/s |");
            Console.WriteLine("|---|---:|");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| no live tail | {Harness.Median(rates[0]):N0} |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| three live tail readers | {Harness.Median(rates[3]):N0} ({Harness.Median(rates[3]) / Harness.Median(rates[0]):0.00}×) |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// one event sent to it appearing on a live tail: median {LiveDelay(url, 21):0.0} ms over 21 events"));
            var (pacedRate, pacedDelivered, pacedSent) = Ingest(url, batch, 3, TimeSpan.FromSeconds(10), paced: 50_000);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"// paced at 50,000 events/s for 10 s with three readers: ingest {pacedRate:N0} events/s; readers received {pacedDelivered:N0} of {3 * pacedSent:N0} ({100.0 * pacedDelivered / (3 * pacedSent):0.0} %)"));
        }
        finally
        {
            collector.Kill(entireProcessTree: true);
            collector.WaitForExit();
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>The median time from sending one event (<c>POST /v1/events</c>) to reading it from a live tail.</summary>
    private static double LiveDelay(string url, int events)
    {
        using var client = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        using var response = client.GetAsync(url + "/v1/tail?type=latency", HttpCompletionOption.ResponseHeadersRead).Result;
        using var reader = new StreamReader(response.Content.ReadAsStream());
        reader.ReadLine(); // the empty first line: subscribed
        List<double> delays = [];
        for (var i = 0; i < events; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            using var sent = client.PostAsync(url + "/v1/events", new StringContent("{\"type\":\"latency\"}\n")).Result;
            sent.EnsureSuccessStatusCode();
            while (reader.ReadLine() is { Length: 0 })
            {
            }

            delays.Add(stopwatch.Elapsed.TotalMilliseconds);
        }

        return Harness.Median(delays);
    }

    private static byte[] Batch(int events)
    {
        var text = new StringBuilder();
        for (var i = 0; i < events; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{{\"type\":\"web.hit\",\"level\":\"info\",\"body\":{{\"path\":\"/p/{i}\",\"status\":200,\"duration\":{i % 97}}}}}\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Sends for <paramref name="duration"/> (at most <paramref name="paced"/> events/s when given) while tail readers read; the rate, events the readers got, events sent.</summary>
    private static (double Rate, long Delivered, long Sent) Ingest(string url, byte[] batch, int readers, TimeSpan duration, int? paced)
    {
        using var stop = new CancellationTokenSource();
        long delivered = 0;
        var tails = Enumerable.Range(0, readers).Select(_ => Task.Run(async () =>
        {
            using var client = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            try
            {
                using var response = await client.GetAsync(url + "/v1/tail", HttpCompletionOption.ResponseHeadersRead, stop.Token);
                using var stream = await response.Content.ReadAsStreamAsync(stop.Token);
                var buffer = new byte[1 << 16];
                int read;
                while ((read = await stream.ReadAsync(buffer, stop.Token)) > 0)
                {
                    Interlocked.Add(ref delivered, buffer.AsSpan(0, read).Count((byte)'\n'));
                }
            }
            catch (OperationCanceledException)
            {
            }
        })).ToList();
        Thread.Sleep(500); // the readers subscribe
        Interlocked.Exchange(ref delivered, 0);
        long sent = 0;
        var stopwatch = Stopwatch.StartNew();
        var senders = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            using var client = new HttpClient();
            while (stopwatch.Elapsed < duration)
            {
                if (paced is { } perSecond && Interlocked.Read(ref sent) >= perSecond * stopwatch.Elapsed.TotalSeconds)
                {
                    Thread.Sleep(1);
                    continue;
                }

                using var response = client.PostAsync(url + "/v1/events", new ByteArrayContent(batch)).Result;
                response.EnsureSuccessStatusCode();
                Interlocked.Add(ref sent, batch.Count(b => b == (byte)'\n'));
            }
        })).ToArray();
        Task.WaitAll(senders);
        var rate = sent / stopwatch.Elapsed.TotalSeconds;
        Thread.Sleep(1000); // the readers catch up with what was sent
        stop.Cancel();
        Task.WaitAll([.. tails]);
        return (rate, Interlocked.Read(ref delivered), sent);
    }
}
