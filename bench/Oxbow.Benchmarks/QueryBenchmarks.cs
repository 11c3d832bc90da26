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
    // The size comes from OXBOW_QUERY_EVENTS (5,000,000 unless set), one day per million events.
    private static readonly QueryDataset Set = QueryDataset.FromEnvironment();
    private ClickHouseServer _clickhouse = null!;
    private StoreQuery _store = null!;
    private string _trace = "";

    /// <summary>The store (made once, kept under /tmp/oxbow-query-bench[-Nm]), for harnesses outside BenchmarkDotNet.</summary>
    internal static string EnsureStore() => Set.EnsureStore();

    /// <summary>The trace id the benchmark looks up.</summary>
    internal static string LookupTrace => Set.LookupTrace;

    [GlobalSetup]
    public void Setup()
    {
        Set.EnsureStore();
        Console.WriteLine("// " + File.ReadAllText(Path.Combine(Set.Root, "store.done")).Trim());
        _store = new StoreQuery(new StoreQueryOptions { DataDirectory = Set.Data });
        _trace = Set.LookupTrace;
        _clickhouse = ClickHouseServer.Start(Path.Combine(Set.Root, "clickhouse"));
        if (!_clickhouse.Holds(Set, "events"))
        {
            _clickhouse.Load(Set, "events");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _clickhouse.Dispose();

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

    private long ClickHouse(string sql) => _clickhouse.Query(sql).Count(c => c == '\n');
}
