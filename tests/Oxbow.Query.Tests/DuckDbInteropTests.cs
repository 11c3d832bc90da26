using System.Diagnostics;
using Oxbow.DuckDb;
using Oxbow.Query.Tests.Support;

namespace Oxbow.Query.Tests;

public sealed class DuckDbInteropTests
{
    private static QueryResult Query(string sql)
    {
        using var database = DuckDbDatabase.Open();
        using var connection = database.Connect();
        return connection.QueryAll(sql);
    }

    [Fact]
    public void Values_of_each_type_arrive_as_their_dotnet_counterparts()
    {
        var result = Query("""
            SELECT true AS b, -5::TINYINT AS i8, 300::SMALLINT AS i16, 70000::INTEGER AS i32, 9000000000::BIGINT AS i64,
                   18446744073709551615::UBIGINT AS u64, 170141183460469231731687303715884105727::HUGEINT AS i128,
                   1.5::FLOAT AS f, 2.25::DOUBLE AS d, 123.45::DECIMAL(10,2) AS dec18, 12345678901234567890.12::DECIMAL(38,2) AS dec38,
                   'short' AS s, 'a string longer than twelve bytes, ünïcode' AS long_s, '\x01\xff'::BLOB AS blob,
                   TIMESTAMP '2026-11-22 05:06:07.123456' AS ts, DATE '2026-11-22' AS day, TIME '13:14:15.5' AS t,
                   INTERVAL 3 DAY AS iv, '4bf92f35-77b3-4da6-a3ce-929d0e0e4736'::UUID AS u,
                   [1, NULL, 3] AS list, {'a': 1, 'b': 'x', 'c': NULL} AS st, MAP {'k': 7} AS m, [1,2]::INTEGER[2] AS arr,
                   'red'::ENUM('red', 'green') AS e, NULL::VARCHAR AS nothing
            """);
        var row = Assert.Single(result.Rows);
        var byName = result.Columns.Select((c, i) => (c.Name, Value: row[i])).ToDictionary(x => x.Name, x => x.Value);
        Assert.Equal(true, byName["b"]);
        Assert.Equal(-5L, byName["i8"]);
        Assert.Equal(300L, byName["i16"]);
        Assert.Equal(70000L, byName["i32"]);
        Assert.Equal(9000000000L, byName["i64"]);
        Assert.Equal(ulong.MaxValue, byName["u64"]);
        Assert.Equal(Int128.MaxValue, byName["i128"]);
        Assert.Equal(1.5, byName["f"]);
        Assert.Equal(2.25, byName["d"]);
        Assert.Equal(123.45m, byName["dec18"]);
        Assert.Equal(12345678901234567890.12m, byName["dec38"]);
        Assert.Equal("short", byName["s"]);
        Assert.Equal("a string longer than twelve bytes, ünïcode", byName["long_s"]);
        Assert.Equal(new byte[] { 1, 255 }, byName["blob"]);
        Assert.Equal(new DateTime(2026, 11, 22, 5, 6, 7, DateTimeKind.Utc).AddTicks(1234560), byName["ts"]);
        Assert.Equal(new DateOnly(2026, 11, 22), byName["day"]);
        Assert.Equal(new TimeOnly(13, 14, 15, 500), byName["t"]);
        Assert.Equal(new DuckDbInterval(0, 3, 0), byName["iv"]);
        Assert.Equal(Guid.Parse("4bf92f35-77b3-4da6-a3ce-929d0e0e4736"), byName["u"]);
        Assert.Equal(new object?[] { 1L, null, 3L }, (object?[])byName["list"]!);
        var st = Assert.IsType<OrderedDictionary<string, object?>>(byName["st"]);
        Assert.Equal(["a", "b", "c"], st.Keys);
        Assert.Equal(1L, st["a"]);
        Assert.Equal("x", st["b"]);
        Assert.Null(st["c"]);
        Assert.Equal(7L, Assert.IsType<OrderedDictionary<string, object?>>(byName["m"])["k"]);
        Assert.Equal(new object?[] { 1L, 2L }, (object?[])byName["arr"]!);
        Assert.Equal("red", byName["e"]);
        Assert.Null(byName["nothing"]);
        Assert.Equal("STRUCT", result.Columns.Single(c => c.Name == "st").Type);
        Assert.Equal(["a", "b", "c"], result.Columns.Single(c => c.Name == "st").Fields);
    }

    [Fact]
    public void A_result_of_many_chunks_is_read_whole_and_in_order()
    {
        var result = Query("SELECT i, 'row ' || i AS label FROM range(10000) t(i) ORDER BY i");
        Assert.Equal(10000, result.Rows.Count);
        Assert.Equal(Enumerable.Range(0, 10000).Select(i => (long)i), result.Rows.Select(r => (long)r[0]!));
        Assert.Equal("row 9999", result.Rows[^1][1]);
    }

    [Fact]
    public void Errors_carry_duckdbs_message_and_class()
    {
        var parser = Assert.Throws<DuckDbException>(() => Query("SELEC 1"));
        Assert.Equal(DuckDbErrorType.Parser, parser.ErrorType);
        Assert.StartsWith("Parser Error: syntax error at or near \"SELEC\"", parser.Message);
        var catalog = Assert.Throws<DuckDbException>(() => Query("SELECT * FROM no_such_table"));
        Assert.Equal(DuckDbErrorType.Catalog, catalog.ErrorType);
        Assert.StartsWith("Catalog Error: Table with name no_such_table does not exist!", catalog.Message);
        var binder = Assert.Throws<DuckDbException>(() => Query("SELECT no_such_column FROM range(1)"));
        Assert.Equal(DuckDbErrorType.Binder, binder.ErrorType);
        var io = Assert.Throws<DuckDbException>(() => Query("SELECT * FROM read_json('/nonexistent/x.json')"));
        Assert.Equal(DuckDbErrorType.IO, io.ErrorType);
        Assert.Contains("/nonexistent/x.json", io.Message);
    }

    [Fact]
    public void The_read_only_path_runs_one_select_and_refuses_everything_else()
    {
        using var database = DuckDbDatabase.Open();
        using var connection = database.Connect();
        using (var ok = connection.QueryReadOnly("WITH t AS (SELECT 41 AS x) SELECT x + 1 FROM t"))
        {
            Assert.Equal(42L, Assert.Single(ok.Rows())[0]);
        }

        Assert.Equal("only queries (SELECT) can run here; this statement is CREATE",
            Assert.Throws<DuckDbException>(() => connection.QueryReadOnly("CREATE TABLE t (x INT)")).Message);
        Assert.Equal("only queries (SELECT) can run here; this statement is COPY",
            Assert.Throws<DuckDbException>(() => connection.QueryReadOnly("COPY (SELECT 1) TO '/tmp/oxbow-should-not-exist.csv'")).Message);
        Assert.Equal("only queries (SELECT) can run here; this statement is SET",
            Assert.Throws<DuckDbException>(() => connection.QueryReadOnly("SET threads = 1")).Message);
        Assert.Equal("one statement at a time: this text holds 2",
            Assert.Throws<DuckDbException>(() => connection.QueryReadOnly("SELECT 1; SELECT 2")).Message);
        Assert.Equal("the query is empty", Assert.Throws<DuckDbException>(() => connection.QueryReadOnly("  ")).Message);
        Assert.False(File.Exists("/tmp/oxbow-should-not-exist.csv"));
    }

    [Fact]
    public void Results_abandoned_part_way_and_errors_leave_no_native_memory_behind()
    {
        using var database = DuckDbDatabase.Open(settings: new Dictionary<string, string> { ["threads"] = "1" });
        using var connection = database.Connect();
        void Round()
        {
            for (var i = 0; i < 200; i++)
            {
                using (var result = connection.Query("SELECT i, repeat('x', 100) AS pad, [i, i] AS l, {'a': i} AS s FROM range(20000) t(i)"))
                {
                    // Read one chunk of ten, then drop the rest.
                    foreach (var _ in result.Rows().Take(100))
                    {
                    }
                }

                Assert.Throws<DuckDbException>(() => connection.Query("SELECT * FROM missing_table"));
            }
        }

        Round();
        var before = Resident();
        for (var round = 0; round < 5; round++)
        {
            Round();
        }

        // 1,000 results of 20,000 rows (about 3 MB each) and 1,000 errors later, resident memory has not grown by
        // anything like what a leak of results or chunks would cost (gigabytes).
        var growth = Resident() - before;
        Assert.True(growth < 200L << 20, $"resident memory grew by {growth >> 20} MiB");
    }

    [Fact]
    public async Task The_library_path_is_configurable_and_a_missing_library_is_one_clear_error()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.Sub("data"));
        var missing = await Cli.RunAsync(new Dictionary<string, string> { ["OXBOW_DUCKDB_LIBRARY"] = dir.Sub("nope/libduckdb.so") }, "query", "SELECT 1", "--data", dir.Sub("data"));
        Assert.Equal(1, missing.Code);
        Assert.Equal($"oxbow: DuckDB's native library was not found (tried {dir.Sub("nope/libduckdb.so")}); " +
            "set OXBOW_DUCKDB_LIBRARY to the path of a libduckdb v1.5 for this platform\n", missing.Stderr);

        // A copy elsewhere, named by the variable, is the one loaded.
        var copy = dir.Sub("lib/libduckdb.so");
        Directory.CreateDirectory(dir.Sub("lib"));
        // The build's own copy comes from the DuckDB.NET.Bindings.Full package's native asset.
        File.Copy(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libduckdb.so"), copy);
        var found = await Cli.RunAsync(new Dictionary<string, string> { ["OXBOW_DUCKDB_LIBRARY"] = copy }, "query", "SELECT 6 * 7 AS answer", "--data", dir.Sub("data"), "--format", "csv");
        Assert.Equal(0, found.Code);
        Assert.Equal("answer\r\n42\r\n", found.Stdout);
    }

    private static long Resident()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return self.WorkingSet64;
    }
}
