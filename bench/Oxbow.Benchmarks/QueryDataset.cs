using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Oxbow.Query.Store;
using Oxbow.Store.Compaction;

namespace Oxbow.Benchmarks;

/// <summary>
/// The query benchmarks' events: N million over N days of three types (postcode searches, requests, signups), every
/// three consecutive events one visit with a random-looking trace id. Generated, never copied, so 5M, 20M and 50M
/// are 5, 20 and 50 days of the same traffic; each size's store is made once (written as the collector would, then
/// compacted) and kept under /tmp/oxbow-query-bench[-Nm].
/// </summary>
internal sealed class QueryDataset
{
    private static readonly string[] Products = ["WCIVF", "WDIV", "AggregatorApi", "EE", "DevsDC"];
    private static readonly string[] Endpoints = [.. Enumerable.Range(0, 20).Select(i => $"/api/v1/endpoint{i}")];
    private static readonly int[] Statuses = [200, 200, 200, 200, 200, 200, 201, 204, 301, 304, 400, 401, 404, 404, 500, 503];

    public QueryDataset(long totalEvents)
    {
        TotalEvents = totalEvents;
        Days = (int)(totalEvents / 1_000_000);
        // The 5M store keeps its old directory.
        Root = Path.Combine(Path.GetTempPath(), totalEvents == 5_000_000 ? "oxbow-query-bench" : $"oxbow-query-bench-{totalEvents / 1_000_000}m");
    }

    /// <summary>The size OXBOW_QUERY_EVENTS asks for (5,000,000 unless set).</summary>
    public static QueryDataset FromEnvironment() =>
        new(long.TryParse(Environment.GetEnvironmentVariable("OXBOW_QUERY_EVENTS"), CultureInfo.InvariantCulture, out var n) && n >= 1_000_000 ? n : 5_000_000);

    /// <summary>How many events.</summary>
    public long TotalEvents { get; }

    /// <summary>How many days they span (one per million).</summary>
    public int Days { get; }

    /// <summary>Where this size's store and peers' copies live.</summary>
    public string Root { get; }

    /// <summary>The store (the collector's data directory).</summary>
    public string Data => Path.Combine(Root, "store");

    /// <summary>The trace the benchmarks look up (three events, in the middle of the data).</summary>
    public string LookupTrace => TraceId(TotalEvents / 2 / 3);

    /// <summary>The store, made when missing; returns its path.</summary>
    public string EnsureStore()
    {
        Directory.CreateDirectory(Root);
        if (!File.Exists(Path.Combine(Root, "store.done")))
        {
            Generate();
        }

        return Data;
    }

    /// <summary>A random-looking W3C trace id per visit (SplitMix64 of the visit number), as real trace ids are: no order to exploit.</summary>
    public static string TraceId(long visit) => Mix((ulong)visit).ToString("x16", CultureInfo.InvariantCulture) + Mix((ulong)visit + 0x9E3779B97F4A7C15).ToString("x16", CultureInfo.InvariantCulture);

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>Events in time order; every three consecutive events (one visit) share a (random-looking) trace id.</summary>
    public IEnumerable<(string Type, DateTime End, long Index)> Timeline()
    {
        // Every size ends in the past (compaction takes closed hours only): beyond 20 days the start moves back.
        var start = new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(-Math.Max(0, Days - 20));
        var step = TimeSpan.FromDays(Days).Ticks / TotalEvents;
        for (long i = 0; i < TotalEvents; i++)
        {
            yield return ((i % 5) switch { 0 or 1 => "postcode_search", 2 or 3 => "request", _ => "signup" }, start.AddTicks(i * step / 10 * 10), i);
        }
    }

    public static void WriteEvent(Utf8JsonWriter json, string type, DateTime end, long i)
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
    private void Generate()
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

    private long Bytes(string pattern) => Directory.EnumerateFiles(Data, pattern, SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);


}
