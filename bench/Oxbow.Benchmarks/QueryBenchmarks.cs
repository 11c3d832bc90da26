using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Oxbow.Query.Store;

namespace Oxbow.Benchmarks;

/// <summary>
/// Three questions over 5,000,000 events (3 types, 5 days; OXBOW_QUERY_EVENTS for 20M over 20 days, 50M over 50), asked of Oxbow's store (compacted Parquet, through
/// <see cref="StoreQuery"/>, views defined per query as <c>oxbow query</c> does) and of ClickHouse 18.16 (Debian's
/// clickhouse-server, started here on 127.0.0.1 with a private config, the same events loaded over HTTP into a
/// MergeTree table), end to end from the caller. The data set and ClickHouse's copy are made once and kept under
/// /tmp/oxbow-query-bench between benchmark processes; the first setup also reports compaction throughput and bytes
/// per event (NDJSON.gz against Parquet).
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 3, iterationCount: 15, invocationCount: 1)]
public class QueryBenchmarks
{
    // The size comes from OXBOW_QUERY_EVENTS (5,000,000 unless set), spread over one day per million events, so that
    // 5M, 20M and 50M are 5, 20 and 50 days of the same traffic. The 5M store keeps its old directory.
    private static readonly long TotalEvents = long.TryParse(Environment.GetEnvironmentVariable("OXBOW_QUERY_EVENTS"), CultureInfo.InvariantCulture, out var n) && n >= 1_000_000 ? n : 5_000_000;
    private static readonly int Days = (int)(TotalEvents / 1_000_000);
    private static readonly string Root = Path.Combine(Path.GetTempPath(), TotalEvents == 5_000_000 ? "oxbow-query-bench" : $"oxbow-query-bench-{TotalEvents / 1_000_000}m");
    private static readonly string Data = Path.Combine(Root, "store");
    private static readonly string[] Products = ["WCIVF", "WDIV", "AggregatorApi", "EE", "DevsDC"];
    private static readonly string[] Endpoints = [.. Enumerable.Range(0, 20).Select(i => $"/api/v1/endpoint{i}")];
    private static readonly int[] Statuses = [200, 200, 200, 200, 200, 200, 201, 204, 301, 304, 400, 401, 404, 404, 500, 503];
    private Process? _clickhouse;
    private HttpClient _http = new();
    private StoreQuery _store = null!;
    private string _trace = "";

    /// <summary>The store (made once, kept under /tmp/oxbow-query-bench[-Nm]), for harnesses outside BenchmarkDotNet.</summary>
    internal static string EnsureStore()
    {
        Directory.CreateDirectory(Root);
        if (!File.Exists(Path.Combine(Root, "store.done")))
        {
            Generate();
        }

        return Data;
    }

    /// <summary>The trace id the benchmark looks up.</summary>
    internal static string LookupTrace => TraceId(TotalEvents / 2 / 3);

    [GlobalSetup]
    public void Setup()
    {
        EnsureStore();

        Console.WriteLine("// " + File.ReadAllText(Path.Combine(Root, "store.done")).Trim());
        _store = new StoreQuery(new StoreQueryOptions { DataDirectory = Data });
        _trace = TraceId(TotalEvents / 2 / 3);
        StartClickHouse();
        if (!File.Exists(Path.Combine(Root, "clickhouse.done")))
        {
            LoadClickHouse();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _clickhouse?.Kill();
        _clickhouse?.WaitForExit();
        _http.Dispose();
    }

    private const string Day = "2026-11-03";

    [Benchmark(Description = "Oxbow: one day's group-by (product, count)")]
    public long OxbowDayGroupBy() => Rows(_store.Run($"SELECT product, count(*) FROM postcode_search WHERE day = '{Day}' GROUP BY product").Result.Rows.Count, 5);

    [Benchmark(Description = "ClickHouse: one day's group-by")]
    public long ClickHouseDayGroupBy() => Rows(ClickHouse($"SELECT product, count() FROM events WHERE type = 'postcode_search' AND day = '{Day}' GROUP BY product"), 5);

    [Benchmark(Description = "Oxbow: p95 duration by status, all days")]
    public long OxbowP95ByStatus() => Rows(_store.Run("SELECT status, quantile_cont(duration, 0.95) FROM request GROUP BY status").Result.Rows.Count, 10);

    [Benchmark(Description = "ClickHouse: p95 duration by status (quantileExact)")]
    public long ClickHouseP95ByStatus() => Rows(ClickHouse("SELECT status, quantileExact(0.95)(duration) FROM events WHERE type = 'request' GROUP BY status"), 10);

    [Benchmark(Description = "Oxbow: approximate p95 (reservoir_quantile)")]
    public long OxbowApproxP95ByStatus() => Rows(_store.Run("SELECT status, reservoir_quantile(duration, 0.95) FROM request GROUP BY status").Result.Rows.Count, 10);

    [Benchmark(Description = "ClickHouse: approximate p95 (quantile, reservoir)")]
    public long ClickHouseApproxP95ByStatus() => Rows(ClickHouse("SELECT status, quantile(0.95)(duration) FROM events WHERE type = 'request' GROUP BY status"), 10);

    [Benchmark(Description = "Oxbow: every event of one trace")]
    public long OxbowTrace() => Rows(_store.Run($"SELECT * FROM events WHERE trace_id = '{_trace}'").Result.Rows.Count, 3);

    [Benchmark(Description = "ClickHouse: every event of one trace")]
    public long ClickHouseTrace() => Rows(ClickHouse($"SELECT * FROM events WHERE trace_id = '{_trace}'"), 3);

    private static long Rows(long rows, long expected) =>
        rows == expected ? rows : throw new InvalidOperationException($"expected {expected} rows, got {rows}");

    private long ClickHouse(string sql)
    {
        using var response = _http.PostAsync("/", new StringContent(sql + " FORMAT TabSeparated")).Result;
        var text = response.Content.ReadAsStringAsync().Result;
        return response.IsSuccessStatusCode ? text.Count(c => c == '\n') : throw new InvalidOperationException(text);
    }

    /// <summary>A random-looking W3C trace id per visit (SplitMix64 of the visit number), as real trace ids are: no order to exploit.</summary>
    private static string TraceId(long visit) => Mix((ulong)visit).ToString("x16", CultureInfo.InvariantCulture) + Mix((ulong)visit + 0x9E3779B97F4A7C15).ToString("x16", CultureInfo.InvariantCulture);

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>Events in time order; every three consecutive events (one visit) share a (random-looking) trace id.</summary>
    private static IEnumerable<(string Type, DateTime End, long Index)> Timeline()
    {
        // Every size ends in the past (compaction takes closed hours only): beyond 20 days the start moves back.
        var start = new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(-Math.Max(0, Days - 20));
        var step = TimeSpan.FromDays(Days).Ticks / TotalEvents;
        for (long i = 0; i < TotalEvents; i++)
        {
            yield return ((i % 5) switch { 0 or 1 => "postcode_search", 2 or 3 => "request", _ => "signup" }, start.AddTicks(i * step / 10 * 10), i);
        }
    }

    private static void WriteEvent(Utf8JsonWriter json, string type, DateTime end, long i)
    {
        var random = new Random((int)(i * 2654435761 % int.MaxValue));
        json.WriteStartObject();
        json.WriteString("id", i.ToString("x32", CultureInfo.InvariantCulture));
        json.WriteString("type", type);
        var duration = Math.Round(Math.Exp(random.NextDouble() * 5) / 100, 6);
        json.WriteString("start", Timestamps.Format(end.AddTicks(-(long)(duration * TimeSpan.TicksPerSecond) / 10 * 10)));
        json.WriteString("end", Timestamps.Format(end));
        json.WriteString("level", "info");
        json.WriteString("host", "web" + (i % 8));
        json.WriteNumber("pid", 1000 + (i % 8));
        json.WriteString("app", "dc");
        json.WriteString("trace_id", TraceId(i / 3));
        json.WriteStartObject("body");
        json.WriteString("user", "u-" + (random.Next(50_000)).ToString(CultureInfo.InvariantCulture));
        json.WriteNumber("duration", duration);
        switch (type)
        {
            case "postcode_search":
                json.WriteString("product", Products[random.Next(Products.Length)]);
                json.WriteString("postcode", Postcode(random));
                json.WriteBoolean("calls_devs_api", random.Next(4) == 0);
                break;
            case "request":
                json.WriteString("method", random.Next(5) == 0 ? "POST" : "GET");
                json.WriteString("endpoint", Endpoints[random.Next(Endpoints.Length)]);
                json.WriteNumber("status", Statuses[random.Next(Statuses.Length)]);
                json.WriteNumber("bytes", random.Next(200, 200_000));
                break;
            default:
                json.WriteString("product", Products[random.Next(Products.Length)]);
                json.WriteString("referrer", "https://example.org/" + random.Next(100).ToString(CultureInfo.InvariantCulture));
                break;
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static string Postcode(Random random) =>
        string.Create(CultureInfo.InvariantCulture, $"{(char)('A' + random.Next(26))}{(char)('A' + random.Next(26))}{random.Next(1, 30)} {random.Next(10)}{(char)('A' + random.Next(26))}{(char)('A' + random.Next(26))}");

    /// <summary>Writes the store as the collector would (sealed NDJSON.gz per type and hour), then compacts it.</summary>
    private static void Generate()
    {
        if (Directory.Exists(Data))
        {
            Directory.Delete(Data, recursive: true);
        }

        var writers = new Dictionary<string, (GZipStream Gzip, Utf8JsonWriter Json)>();
        foreach (var (type, end, i) in Timeline())
        {
            var key = $"type={type}/day={end:yyyy-MM-dd}/hour={end:HH}";
            if (!writers.TryGetValue(key, out var writer))
            {
                foreach (var stale in writers.Where(w => !w.Key.EndsWith($"/day={end:yyyy-MM-dd}/hour={end:HH}", StringComparison.Ordinal)).ToList())
                {
                    stale.Value.Json.Dispose();
                    stale.Value.Gzip.Dispose();
                    writers.Remove(stale.Key);
                }

                Directory.CreateDirectory(Path.Combine(Data, key));
                var gzip = new GZipStream(File.Create(Path.Combine(Data, key, "bench_000000-0000000001.ndjson.gz")), CompressionLevel.Fastest);
                writers[key] = writer = (gzip, new Utf8JsonWriter(gzip));
            }

            WriteEvent(writer.Json, type, end, i);
            writer.Json.Flush();
            writer.Json.Reset();
            writer.Gzip.WriteByte((byte)'\n');
        }

        foreach (var writer in writers.Values)
        {
            writer.Json.Dispose();
            writer.Gzip.Dispose();
        }

        var gzBytes = Bytes("*.ndjson.gz");
        var stopwatch = Stopwatch.StartNew();
        var compaction = new CompactorOptions { DataDirectory = Data };
        var summary = new Compactor(compaction).CompactClosedHours();
        stopwatch.Stop();
        if (summary.Failures.Count > 0 || summary.Events != TotalEvents)
        {
            throw new InvalidOperationException($"compaction: {summary.Events} events, failures: {string.Join("; ", summary.Failures)}");
        }

        var parquetBytes = Bytes("*.parquet");
        File.WriteAllText(Path.Combine(Root, "store.done"), string.Create(CultureInfo.InvariantCulture,
            $"compaction: {TotalEvents:N0} events in {summary.Hours.Count} hours in {stopwatch.Elapsed.TotalSeconds:0.0} s = {TotalEvents / stopwatch.Elapsed.TotalSeconds:N0} events/s; " +
            $"bytes per event: NDJSON.gz {(double)gzBytes / TotalEvents:0.0}, Parquet ({compaction.Compression}) {(double)parquetBytes / TotalEvents:0.0}"));
    }

    private static long Bytes(string pattern) => Directory.EnumerateFiles(Data, pattern, SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

    private void StartClickHouse()
    {
        var directory = Path.Combine(Root, "clickhouse");
        Directory.CreateDirectory(directory);
        var port = FreePort();
        File.WriteAllText(Path.Combine(directory, "users.xml"), """
            <yandex>
              <profiles><default><max_memory_usage>8000000000</max_memory_usage></default></profiles>
              <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
              <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
            </yandex>
            """);
        File.WriteAllText(Path.Combine(directory, "config.xml"), $"""
            <yandex>
              <logger><level>warning</level><console>1</console></logger>
              <http_port>{port}</http_port>
              <tcp_port>{FreePort()}</tcp_port>
              <listen_host>127.0.0.1</listen_host>
              <path>{directory}/data/</path>
              <tmp_path>{directory}/tmp/</tmp_path>
              <users_config>{directory}/users.xml</users_config>
              <default_profile>default</default_profile>
              <default_database>default</default_database>
              <mark_cache_size>1073741824</mark_cache_size>
            </yandex>
            """);
        var info = new ProcessStartInfo("/usr/sbin/clickhouse-server") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("--config-file=" + Path.Combine(directory, "config.xml"));
        _clickhouse = Process.Start(info)!;
        _clickhouse.OutputDataReceived += (_, _) => { };
        _clickhouse.ErrorDataReceived += (_, _) => { };
        _clickhouse.BeginOutputReadLine();
        _clickhouse.BeginErrorReadLine();
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromMinutes(10) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                if (_http.GetStringAsync("ping").Result.StartsWith("Ok", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (AggregateException) when (DateTime.UtcNow < deadline && !_clickhouse.HasExited)
            {
                Thread.Sleep(100);
            }
        }
    }

    /// <summary>The same events, flattened (ClickHouse 18.16 has no JSON functions), inserted as JSONEachRow.</summary>
    private void LoadClickHouse()
    {
        ClickHouse("DROP TABLE IF EXISTS events");
        ClickHouse("""
            CREATE TABLE events (type String, id String, end DateTime, day Date, hour UInt8, host String, trace_id String,
              user String, duration Float64, product String, postcode String, calls_devs_api UInt8, method String,
              endpoint String, status UInt16, bytes UInt32, referrer String)
            ENGINE = MergeTree PARTITION BY day ORDER BY (type, day, hour, end)
            """);
        var stopwatch = Stopwatch.StartNew();
        var batch = new StringBuilder();
        var rows = 0;
        using var buffer = new MemoryStream();
        foreach (var (type, end, i) in Timeline())
        {
            buffer.SetLength(0);
            using (var json = new Utf8JsonWriter(buffer))
            {
                WriteEvent(json, type, end, i);
            }

            using var document = JsonDocument.Parse(buffer.ToArray());
            var root = document.RootElement;
            var body = root.GetProperty("body");
            string Text(string name) => body.TryGetProperty(name, out var v) ? v.ToString() : "";
            long Number(string name) => body.TryGetProperty(name, out var v) ? v.GetInt64() : 0;
            batch.Append(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["type"] = type,
                ["id"] = root.GetProperty("id").GetString()!,
                ["end"] = end.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                ["day"] = end.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["hour"] = end.Hour,
                ["host"] = root.GetProperty("host").GetString()!,
                ["trace_id"] = root.GetProperty("trace_id").GetString()!,
                ["user"] = Text("user"),
                ["duration"] = body.GetProperty("duration").GetDouble(),
                ["product"] = Text("product"),
                ["postcode"] = Text("postcode"),
                ["calls_devs_api"] = body.TryGetProperty("calls_devs_api", out var c) && c.GetBoolean() ? 1 : 0,
                ["method"] = Text("method"),
                ["endpoint"] = Text("endpoint"),
                ["status"] = Number("status"),
                ["bytes"] = Number("bytes"),
                ["referrer"] = Text("referrer"),
            })).Append('\n');
            if (++rows % 250_000 == 0)
            {
                Insert(batch);
            }
        }

        Insert(batch);
        ClickHouse("OPTIMIZE TABLE events FINAL");
        File.WriteAllText(Path.Combine(Root, "clickhouse.done"), $"loaded {rows} rows in {stopwatch.Elapsed.TotalSeconds:0.0} s");
    }

    private void Insert(StringBuilder batch)
    {
        if (batch.Length == 0)
        {
            return;
        }

        using var response = _http.PostAsync("/?query=" + Uri.EscapeDataString("INSERT INTO events FORMAT JSONEachRow"), new StringContent(batch.ToString())).Result;
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException(response.Content.ReadAsStringAsync().Result);
        }

        batch.Clear();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
