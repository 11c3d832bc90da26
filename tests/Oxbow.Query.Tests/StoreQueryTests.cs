using System.IO.Compression;
using Oxbow.DuckDb;
using Oxbow.Query.Store;
using Oxbow.Query.Tests.Support;
using Oxbow.Store.Compaction;

namespace Oxbow.Query.Tests;

public sealed class StoreQueryTests
{
    private static StoreQuery Over(string data) => new(new StoreQueryOptions { DataDirectory = data });

    /// <summary>One query on an engine of its own, disposed after.</summary>
    private static StoreQueryResult Once(string data, string sql)
    {
        using var query = Over(data);
        return query.Run(sql);
    }

    [Fact]
    public void A_group_by_over_one_day_counts_exactly_what_was_stored()
    {
        using var dir = new TempDirectory();
        var set = KnownDataset.Write(dir.Path);
        var result = Once(dir.Path, "SELECT product, count(*) AS n FROM postcode_search WHERE day = '2026-11-21' GROUP BY product ORDER BY product").Result;
        var expected = set.OfType("postcode_search").Where(e => e.End.Day == 21).GroupBy(e => e.Field("product"))
            .OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, (long)g.Count()));
        Assert.Equal(expected, result.Rows.Select(r => ((string)r[0]!, (long)r[1]!)));
        Assert.Equal(["product", "n"], result.Columns.Select(c => c.Name));
    }

    [Fact]
    public void The_p95_of_request_time_by_status_matches_the_exact_percentile()
    {
        using var dir = new TempDirectory();
        var set = KnownDataset.Write(dir.Path);
        var result = Once(dir.Path, "SELECT status, quantile_cont(request_time, 0.95) AS p95, count(*) AS n FROM request GROUP BY ALL ORDER BY status").Result;
        var expected = set.OfType("request").GroupBy(e => long.Parse(e.Field("status"), System.Globalization.CultureInfo.InvariantCulture)).OrderBy(g => g.Key).ToList();
        Assert.Equal(expected.Select(g => g.Key), result.Rows.Select(r => (long)r[0]!));
        Assert.Equal(expected.Select(g => (long)g.Count()), result.Rows.Select(r => (long)r[2]!));
        foreach (var (group, row) in expected.Zip(result.Rows))
        {
            var p95 = KnownDataset.QuantileCont(group.Select(e => double.Parse(e.Field("request_time"), System.Globalization.CultureInfo.InvariantCulture)), 0.95);
            Assert.Equal(p95, (double)row[1]!, 1e-9);
        }
    }

    [Fact]
    public void Every_event_of_one_trace_is_found_across_types_in_time_order()
    {
        using var dir = new TempDirectory();
        var set = KnownDataset.Write(dir.Path);
        var trace = set.OfType("request").ElementAt(300).TraceId!;
        var result = Once(dir.Path, $"SELECT type, id FROM events WHERE trace_id = '{trace}' ORDER BY \"end\", type, id").Result;
        var expected = set.Events.Where(e => e.TraceId == trace).OrderBy(e => e.End).ThenBy(e => e.Type, StringComparer.Ordinal).ThenBy(e => e.Id, StringComparer.Ordinal)
            .Select(e => (e.Type, e.Id)).ToList();
        Assert.Equal(4, expected.Count); // three requests and the one request.db of the first
        Assert.Equal(expected, result.Rows.Select(r => ((string)r[0]!, (string)r[1]!)));
    }

    [Fact]
    public void A_reference_table_imported_from_csv_joins_with_events()
    {
        using var dir = new TempDirectory();
        var set = KnownDataset.Write(dir.Path);
        var csv = dir.Sub("local_authorities.csv");
        File.WriteAllText(csv, "pcds,nuts\nSW1A 1AA,UKI32\nEH1 1YZ,UKM75\nCF10 1EP,UKL22\n");
        Assert.Equal(3, ReferenceTables.Import(dir.Path, "local_authorities", csv));
        var result = Once(dir.Path, """
            SELECT substr(nuts, 1, 3) AS region, count(*) AS n
            FROM postcode_search JOIN local_authorities las ON replace(postcode, ' ', '') = replace(las.pcds, ' ', '')
            GROUP BY 1 ORDER BY 1
            """).Result;
        var regions = new Dictionary<string, string> { ["SW1A 1AA"] = "UKI", ["EH1 1YZ"] = "UKM", ["CF10 1EP"] = "UKL" };
        var expected = set.OfType("postcode_search").Where(e => regions.ContainsKey(e.Field("postcode")))
            .GroupBy(e => regions[e.Field("postcode")]).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, (long)g.Count()));
        Assert.Equal(expected, result.Rows.Select(r => ((string)r[0]!, (long)r[1]!)));
        Assert.Throws<ArgumentException>(() => ReferenceTables.Import(dir.Path, "../evil", csv));
        Assert.Throws<ArgumentException>(() => ReferenceTables.Import(dir.Path, "request", csv));
    }

    [Fact]
    public void A_query_restricted_to_one_hour_opens_only_that_hours_files()
    {
        using var dir = new TempDirectory();
        KnownDataset.Write(dir.Path);
        using var query = Over(dir.Path);
        // postcode_search has two files per hour, six hours: 12 files.
        var oneHour = query.Run("SELECT count(*) FROM postcode_search WHERE day = '2026-11-20' AND hour = 10", collectStats: true);
        Assert.Equal(120L, oneHour.Result.Rows[0][0]);
        Assert.Equal(2, oneHour.Stats!.FilesRead);
        Assert.Equal(12, oneHour.Stats.FilesConsidered);
        var oneDay = query.Run("SELECT count(*) FROM postcode_search WHERE day = '2026-11-21'", collectStats: true);
        Assert.Equal(6, oneDay.Stats!.FilesRead);
        var everything = query.Run("SELECT count(*) FROM postcode_search", collectStats: true);
        Assert.Equal(12, everything.Stats!.FilesRead);
        Assert.Equal(12, everything.Stats.FilesConsidered);
    }

    [Fact]
    public void Stats_for_a_day_filtered_count_over_compacted_parquet_report_the_files_it_read()
    {
        using var dir = new TempDirectory();
        KnownDataset.Write(dir.Path);
        var summary = new Compactor(new CompactorOptions { DataDirectory = dir.Path, Time = new FixedTime(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero)) }).CompactClosedHours();
        Assert.Empty(summary.Failures);
        using var query = Over(dir.Path);
        // Both days are Parquet now, one file per hour: three hours a day.
        var oneDay = query.Run("SELECT count(*) FROM postcode_search WHERE day = '2026-11-20'", collectStats: true);
        Assert.Equal(360L, oneDay.Result.Rows[0][0]);
        Assert.Equal((3L, 6L), (oneDay.Stats!.FilesRead, oneDay.Stats.FilesConsidered));
        Assert.True(oneDay.Stats.Scans >= 1);
    }

    [Fact]
    public void Fresh_and_compacted_hours_are_read_together_without_duplicates_or_gaps()
    {
        using var dir = new TempDirectory();
        var set = KnownDataset.Write(dir.Path);
        // Compact the first day only (it is "closed" on 2026-11-21 at noon); the second day stays NDJSON.
        var compactor = new Compactor(new CompactorOptions { DataDirectory = dir.Path, Time = new FixedTime(new DateTimeOffset(2026, 11, 21, 0, 0, 0, TimeSpan.Zero)) });
        var summary = compactor.CompactClosedHours();
        Assert.Empty(summary.Failures);
        Assert.Equal(set.Events.Count(e => e.End.Day == 20), summary.Events);
        // A late event for a compacted hour arrives as a new sealed file, and a collector is still writing one.
        set.WriteSealed(dir.Path, [new KnownEvent("request", KnownDataset.Id(9, 1), new DateTime(2026, 11, 20, 10, 59, 0, DateTimeKind.Utc), null, new() { ["status"] = 201 })]);
        set.WriteSealed(dir.Path, [new KnownEvent("request", KnownDataset.Id(9, 2), new DateTime(2026, 11, 21, 11, 59, 0, DateTimeKind.Utc), null, new() { ["status"] = 202 })], open: true);

        var result = Once(dir.Path, "SELECT id, type FROM events").Result;
        Assert.Equal(set.Events.Count, result.Rows.Count);
        Assert.Equal(set.Events.Select(e => (e.Id, e.Type)).Order(), result.Rows.Select(r => ((string)r[0]!, (string)r[1]!)).Order());
        var statuses = Once(dir.Path, "SELECT status, count(*) FROM request GROUP BY ALL ORDER BY 1").Result;
        Assert.Equal(set.OfType("request").GroupBy(e => long.Parse(e.Field("status"), System.Globalization.CultureInfo.InvariantCulture)).OrderBy(g => g.Key).Select(g => (g.Key, (long)g.Count())),
            statuses.Rows.Select(r => ((long)r[0]!, (long)r[1]!)));
    }

    [Fact]
    public void Bad_sql_and_an_unknown_type_are_clear_errors_and_an_unreadable_file_is_left_out_and_reported()
    {
        using var dir = new TempDirectory();
        KnownDataset.Write(dir.Path);
        using var query = Over(dir.Path);
        var syntax = Assert.Throws<DuckDbException>(() => query.Run("SELECT count(* FROM request"));
        Assert.Equal(DuckDbErrorType.Parser, syntax.ErrorType);
        var unknown = Assert.Throws<DuckDbException>(() => query.Run("SELECT * FROM billing"));
        Assert.Equal("Catalog Error: Table with name billing does not exist! The store has types: postcode_search, request, request.db; " +
            "query them by name, or all of them as events.", unknown.Message);
        var requests = query.Run("SELECT count(*) FROM request").Result.Rows[0][0];
        var events = query.Run("SELECT count(*) FROM events").Result.Rows[0][0];

        var damaged = Path.Combine(dir.Path, "type=request/day=2026-11-20/hour=09/test_c0ffee-9999999999.ndjson.gz");
        File.WriteAllBytes(damaged, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5]);
        // One damaged file does not take its type, or events, down: it is left out, and said to be.
        var answer = query.Run("SELECT count(*) FROM request", collectStats: true);
        Assert.Equal(requests, answer.Result.Rows[0][0]);
        var skipped = Assert.Single(answer.Stats!.SkippedFiles);
        Assert.StartsWith(damaged + ": IO Error: Failed to decode gzip stream", skipped);
        Assert.Contains("1 unreadable file(s) left out: " + damaged, StoreQuery.Describe(answer.Stats));
        Assert.Equal(events, query.Run("SELECT count(*) FROM events").Result.Rows[0][0]);
        Assert.Equal(720L, query.Run("SELECT count(*) FROM postcode_search").Result.Rows[0][0]);
    }

    [Fact]
    public void Sql_over_the_store_can_read_only_the_store_and_write_nothing()
    {
        using var dir = new TempDirectory();
        KnownDataset.Write(dir.Path);
        using var query = Over(dir.Path);
        Assert.StartsWith("Permission Error: Cannot access file \"/etc/passwd\"", Assert.Throws<DuckDbException>(() => query.Run("SELECT * FROM read_csv('/etc/passwd')")).Message);
        Assert.Equal("only queries (SELECT) can run here; this statement is COPY",
            Assert.Throws<DuckDbException>(() => query.Run($"COPY (SELECT 1) TO '{dir.Sub("out.csv")}'")).Message);
        Assert.Equal("only queries (SELECT) can run here; this statement is SET",
            Assert.Throws<DuckDbException>(() => query.Run("SET enable_external_access = true")).Message);
        Assert.False(File.Exists(dir.Sub("out.csv")));
    }

    [Fact]
    public void An_engine_removes_the_profile_directories_of_killed_processes_and_keeps_those_of_running_ones()
    {
        using var dir = new TempDirectory();
        KnownDataset.Write(dir.Path);
        int deadPid;
        using (var exited = System.Diagnostics.Process.Start("true")!)
        {
            exited.WaitForExit();
            deadPid = exited.Id;
        }

        var dead = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"oxbow-query-{deadPid}-{Guid.NewGuid():N}"));
        File.WriteAllText(Path.Combine(dead.FullName, "profile.json"), "{}");
        var running = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"oxbow-query-{Environment.ProcessId}-{Guid.NewGuid():N}"));
        try
        {
            Assert.Equal(720L, Once(dir.Path, "SELECT count(*) FROM postcode_search").Result.Rows[0][0]);
            Assert.False(Directory.Exists(dead.FullName));
            Assert.True(Directory.Exists(running.FullName));
        }
        finally
        {
            running.Delete(recursive: true);
            if (Directory.Exists(dead.FullName))
            {
                dead.Delete(recursive: true);
            }
        }
    }

    [Fact]
    public void A_long_lived_query_engine_sees_files_added_and_removed_between_queries()
    {
        using var dir = new TempDirectory();
        var set = KnownDataset.Write(dir.Path);
        // Directory times well in the past, so the engine trusts its snapshot of them.
        foreach (var directory in Directory.EnumerateDirectories(dir.Path, "*", SearchOption.AllDirectories).Append(dir.Path))
        {
            Directory.SetLastWriteTimeUtc(directory, DateTime.UtcNow.AddMinutes(-5));
        }

        using var query = Over(dir.Path);
        Assert.Equal(720L, query.Run("SELECT count(*) FROM request").Result.Rows[0][0]);
        Assert.Equal(720L, query.Run("SELECT count(*) FROM request").Result.Rows[0][0]);
        var added = set.WriteSealed(dir.Path, [new KnownEvent("request", KnownDataset.Id(8, 1), new DateTime(2026, 11, 20, 9, 30, 0, DateTimeKind.Utc), null, new() { ["status"] = 418 })]);
        Assert.Equal(721L, query.Run("SELECT count(*) FROM request").Result.Rows[0][0]);
        Assert.Equal(1L, query.Run("SELECT count(*) FROM request WHERE status = 418").Result.Rows[0][0]);
        File.Delete(added);
        Assert.Equal(720L, query.Run("SELECT count(*) FROM request").Result.Rows[0][0]);
    }

    [Fact]
    public void An_empty_store_has_an_empty_events_view()
    {
        using var dir = new TempDirectory();
        var result = Once(dir.Path, "SELECT count(*) FROM events").Result;
        Assert.Equal(0L, result.Rows[0][0]);
    }

    [Fact]
    public void Body_fields_become_columns_and_clashing_names_get_a_body_prefix()
    {
        using var dir = new TempDirectory();
        var set = new KnownDataset();
        set.WriteSealed(dir.Path, [new KnownEvent("billing", KnownDataset.Id(3, 1), new DateTime(2026, 11, 20, 9, 0, 0, DateTimeKind.Utc), null,
            new() { ["amount"] = 12.5, ["level"] = "gold", ["customer"] = new System.Text.Json.Nodes.JsonObject { ["tier"] = 2 } })]);
        var result = Once(dir.Path, "SELECT amount, body_level, level, customer.tier, day, hour FROM billing").Result;
        Assert.Equal(new object?[] { 12.5, "gold", "info", 2L, "2026-11-20", 9L }, result.Rows.Single());
        // A dotted type is a view under its name and with underscores.
        set.WriteSealed(dir.Path, [new KnownEvent("billing.refund", KnownDataset.Id(3, 2), new DateTime(2026, 11, 20, 9, 0, 0, DateTimeKind.Utc), null, new() { ["amount"] = 1 })]);
        Assert.Equal(1L, Once(dir.Path, "SELECT count(*) FROM \"billing.refund\"").Result.Rows[0][0]);
        Assert.Equal(1L, Once(dir.Path, "SELECT count(*) FROM billing_refund").Result.Rows[0][0]);
    }

    [Fact]
    public void A_file_sealed_while_it_is_being_listed_is_counted_once()
    {
        using var dir = new TempDirectory();
        var set = new KnownDataset();
        var open = set.WriteSealed(dir.Path, [new KnownEvent("request", KnownDataset.Id(4, 1), new DateTime(2026, 11, 20, 9, 0, 0, DateTimeKind.Utc), null, new() { ["status"] = 200 })], open: true);
        // The moment inside a seal when both the .ndjson and its finished .ndjson.gz exist: the .gz counts.
        using (var gz = new GZipStream(File.Create(open + ".gz"), CompressionLevel.Fastest))
        {
            gz.Write(File.ReadAllBytes(open));
        }

        Assert.Equal(1L, Once(dir.Path, "SELECT count(*) FROM request").Result.Rows[0][0]);
    }
}
