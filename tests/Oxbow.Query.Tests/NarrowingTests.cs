using Oxbow.DuckDb;
using Oxbow.Query.Store;
using Oxbow.Query.Store.Narrowing;
using Oxbow.Query.Tests.Support;
using Oxbow.Store.Compaction;
using Oxbow.Store.Index;

namespace Oxbow.Query.Tests;

public sealed class NarrowingTests
{
    private static readonly FixedTime Noon22nd = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));

    /// <summary>The known data set, every hour compacted into Parquet with its lookup index.</summary>
    private static KnownDataset Compacted(string data)
    {
        var set = KnownDataset.Write(data);
        var summary = new Compactor(new CompactorOptions { DataDirectory = data, Time = Noon22nd }).CompactClosedHours();
        Assert.Empty(summary.Failures);
        return set;
    }

    private static string Trace(KnownDataset set) => set.OfType("request").ElementAt(100).TraceId!;

    /// <summary>The same query written so that nothing narrows it (an OR at the top): the answer a full scan gives.</summary>
    private static StoreQueryResult Unnarrowed(StoreQuery query, string select, string where) =>
        query.Run($"{select} WHERE ({where}) OR false ORDER BY id, type", collectStats: true);

    private static void SameAnswer(StoreQueryResult expected, StoreQueryResult actual)
    {
        Assert.Equal(expected.Result.Columns.Select(c => (c.Name, c.Type)), actual.Result.Columns.Select(c => (c.Name, c.Type)));
        Assert.Equal(expected.Result.Rows.Select(r => string.Join('|', r)), actual.Result.Rows.Select(r => string.Join('|', r)));
    }

    [Fact]
    public void A_lookup_by_trace_id_reads_only_the_files_that_hold_the_trace_and_answers_exactly_as_a_full_scan()
    {
        using var dir = new TempDirectory();
        var set = Compacted(dir.Path);
        var trace = Trace(set);
        using var query = new StoreQuery(new StoreQueryOptions { DataDirectory = dir.Path });

        var narrowed = query.Run($"SELECT * FROM events WHERE trace_id = '{trace}' ORDER BY id, type", collectStats: true);
        var full = Unnarrowed(query, "SELECT * FROM events", $"trace_id = '{trace}'");

        SameAnswer(full, narrowed);
        Assert.Equal(set.Events.Count(e => e.TraceId == trace), narrowed.Result.Rows.Count);
        Assert.Equal(4, narrowed.Result.Rows.Count); // three requests and one request.db
        // The trace's hour of request and of request.db: 2 of the 12 files of the types that have trace ids.
        Assert.Equal(2, narrowed.Stats!.FilesRead);
        Assert.Equal(12, full.Stats!.FilesConsidered);
    }

    [Fact]
    public void A_lookup_by_id_on_one_type_reads_one_file()
    {
        using var dir = new TempDirectory();
        var set = Compacted(dir.Path);
        var id = set.OfType("request").ElementAt(250).Id;
        using var query = new StoreQuery(new StoreQueryOptions { DataDirectory = dir.Path });

        var narrowed = query.Run($"SELECT id, status FROM request r WHERE r.id IN ('{id}', 'nothing-has-this-id')", collectStats: true);

        Assert.Equal([id], narrowed.Result.Rows.Select(r => (string)r[0]!));
        Assert.Equal(1, narrowed.Stats!.FilesRead);
    }

    [Fact]
    public void Day_hour_and_type_conditions_narrow_events_to_the_partitions_they_name()
    {
        using var dir = new TempDirectory();
        var set = Compacted(dir.Path);
        using var query = new StoreQuery(new StoreQueryOptions { DataDirectory = dir.Path });

        var count = query.Run("SELECT count(*) FROM events WHERE day >= '2026-11-21' AND type = 'request' AND hour IN (9, 10)", collectStats: true);

        Assert.Equal((long)set.OfType("request").Count(e => e.End.Day == 21 && e.End.Hour is 9 or 10), count.Result.Rows[0][0]);
        Assert.Equal(2, count.Stats!.FilesRead);
    }

    [Fact]
    public void A_lookup_for_a_value_no_file_holds_answers_no_rows_with_every_column_of_the_view()
    {
        using var dir = new TempDirectory();
        Compacted(dir.Path);
        using var query = new StoreQuery(new StoreQueryOptions { DataDirectory = dir.Path });

        var narrowed = query.Run("SELECT * FROM events WHERE trace_id = 'ffffffffffffffffffffffffffffffff' ORDER BY id, type", collectStats: true);
        var full = Unnarrowed(query, "SELECT * FROM events", "trace_id = 'ffffffffffffffffffffffffffffffff'");

        SameAnswer(full, narrowed);
        Assert.Empty(narrowed.Result.Rows);
        Assert.Equal(0, narrowed.Stats!.FilesRead);
    }

    [Fact]
    public void A_narrowed_query_leaves_nothing_behind_for_the_next_query_on_the_same_engine()
    {
        using var dir = new TempDirectory();
        var set = Compacted(dir.Path);
        using var query = new StoreQuery(new StoreQueryOptions { DataDirectory = dir.Path });

        query.Run($"SELECT * FROM events WHERE trace_id = '{Trace(set)}'");
        var all = query.Run("SELECT count(*) FROM events");

        Assert.Equal((long)set.Events.Count, all.Result.Rows[0][0]);
    }

    [Fact]
    public void A_file_whose_index_is_missing_or_damaged_is_read_anyway_and_the_next_compaction_indexes_it_again()
    {
        using var dir = new TempDirectory();
        var set = Compacted(dir.Path);
        var trace = Trace(set);
        var indexes = Directory.GetFiles(dir.Path, "*.parquet" + LookupKeys.Suffix, SearchOption.AllDirectories);
        Assert.Equal(18, indexes.Length);
        var requestIndexes = indexes.Where(f => f.Contains("type=request/", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        // Two hours of the second day, which do not hold the trace (it is in the first hour of the first day).
        File.Delete(requestIndexes[^1]);
        var damaged = File.ReadAllBytes(requestIndexes[^2]);
        damaged[20] ^= 0xFF;
        File.WriteAllBytes(requestIndexes[^2], damaged);

        using (var query = new StoreQuery(new StoreQueryOptions { DataDirectory = dir.Path }))
        {
            var narrowed = query.Run($"SELECT * FROM events WHERE trace_id = '{trace}' ORDER BY id, type", collectStats: true);
            SameAnswer(Unnarrowed(query, "SELECT * FROM events", $"trace_id = '{trace}'"), narrowed);
            Assert.Equal(4, narrowed.Stats!.FilesRead); // the trace's two files, and the two without a usable index
        }

        var summary = new Compactor(new CompactorOptions { DataDirectory = dir.Path, Time = Noon22nd }).CompactClosedHours();
        Assert.Equal(1, summary.Hours.Sum(h => h.Indexed)); // the missing one; the damaged one is rewritten by no one yet
        Assert.True(File.Exists(requestIndexes[^1]));
    }

    [Fact]
    public void An_index_left_by_a_compaction_that_never_committed_is_removed_by_the_next()
    {
        using var dir = new TempDirectory();
        Compacted(dir.Path);
        var hour = Directory.GetDirectories(dir.Path, "hour=09", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        var orphan = Path.Combine(hour, "orphan-20261122T000000000-abcdef.parquet" + LookupKeys.Suffix);
        File.WriteAllBytes(orphan, [1, 2, 3]);

        new Compactor(new CompactorOptions { DataDirectory = dir.Path, Time = Noon22nd }).CompactClosedHours();

        Assert.False(File.Exists(orphan));
    }

    [Theory]
    [InlineData("SELECT * FROM events WHERE trace_id = 'a'", "events", "trace_id=a")]
    [InlineData("SELECT * FROM events e WHERE 'a' = e.trace_id AND e.day = '2026-11-20'", "events", "day=2026-11-20;trace_id=a")]
    [InlineData("SELECT * FROM request WHERE id IN ('a', 'b') AND hour = 7", "request", "hour=7;id=a,b")]
    [InlineData("SELECT * FROM events WHERE trace_id = 'a' OR trace_id = 'b'", "events", "")]
    [InlineData("SELECT * FROM events WHERE day = DATE '2026-11-20'", "events", "")]
    [InlineData("SELECT * FROM events WHERE other.trace_id = 'a'", "events", "")]
    public void A_query_narrows_on_the_conditions_every_returned_row_must_meet(string sql, string table, string conditions)
    {
        var shape = Shape(sql)!;

        Assert.Equal(table, shape.Table);
        Assert.Equal(conditions, string.Join(';', shape.Equal.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={string.Join(',', e.Value.Order(StringComparer.Ordinal))}")));
    }

    [Theory]
    [InlineData("SELECT *, (SELECT count(*) FROM events) FROM events WHERE trace_id = 'a'")]
    [InlineData("SELECT * FROM events JOIN request USING (id) WHERE trace_id = 'a'")]
    [InlineData("WITH t AS (SELECT * FROM events) SELECT * FROM t WHERE trace_id = 'a'")]
    [InlineData("SELECT * FROM events WHERE trace_id = 'a' UNION ALL SELECT * FROM events")]
    [InlineData("SELECT * FROM main.events WHERE trace_id = 'a'")]
    public void A_query_that_reads_more_than_one_table_is_never_narrowed(string sql) => Assert.Null(Shape(sql));

    [Fact]
    public void Day_ranges_keep_exactly_the_days_they_include()
    {
        var shape = Shape("SELECT * FROM events WHERE day > '2026-11-20' AND '2026-11-23' >= day")!;

        Assert.Equal(["2026-11-21", "2026-11-22", "2026-11-23"], new[] { "2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24" }.Where(shape.KeepsDay));
    }

    private static QueryShape? Shape(string sql)
    {
        using var database = DuckDbDatabase.Open();
        using var connection = database.Connect();
        var parsed = (string)connection.QueryAll("SELECT json_serialize_sql(" + Sql.Literal(sql) + ")").Rows[0][0]!;
        return QueryShape.FromParseTree(parsed);
    }
}
