using System.Text;
using Oxbow.DuckDb;
using Oxbow.Query.Store;
using Oxbow.Query.Tests.Support;
using Oxbow.Store;
using Oxbow.Store.Compaction;

namespace Oxbow.Query.Tests;

public sealed class LifecycleTests
{
    private static readonly FixedTime Noon22nd = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));

    private static List<string> StoreFiles(string data) =>
        [.. Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories)
            .Where(f => f.Contains("/type=", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(data, f)).Order(StringComparer.Ordinal)];

    private static long Count(string data, string sql = "SELECT count(*) FROM events")
    {
        using var query = new StoreQuery(new StoreQueryOptions { DataDirectory = data });
        return (long)query.Run(sql).Result.Rows[0][0]!;
    }

    private static string Cat(string data, string type, string start, string end)
    {
        using var output = new MemoryStream();
        StoreCat.Write(new StoreQueryOptions { DataDirectory = data }, type, TimeRange.Parse(start, end), output);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    [Fact]
    public void Compaction_turns_each_closed_hour_into_one_parquet_file_and_leaves_open_files_and_the_current_hour()
    {
        using var dir = new TempDirectory();
        var set = KnownDataset.Write(dir.Path);
        var open = set.WriteSealed(dir.Path, [new KnownEvent("request", KnownDataset.Id(9, 1), new DateTime(2026, 11, 21, 11, 30, 0, DateTimeKind.Utc), null, new() { ["status"] = 200 })], open: true);
        // At 11:30 on the 21st, hour 11 of that day is still current.
        var summary = new Compactor(new CompactorOptions { DataDirectory = dir.Path, Time = new FixedTime(new DateTimeOffset(2026, 11, 21, 11, 30, 0, TimeSpan.Zero)) }).CompactClosedHours();
        Assert.Empty(summary.Failures);
        Assert.Equal(15, summary.Hours.Count(h => h.Inputs > 0)); // 5 hours x 3 types
        Assert.Equal(set.Events.Count(e => e.End < new DateTime(2026, 11, 21, 11, 0, 0, DateTimeKind.Utc)), summary.Events);
        var files = StoreFiles(dir.Path);
        Assert.Equal(15, files.Count(f => f.EndsWith(".parquet", StringComparison.Ordinal)));
        Assert.All(files.Where(f => f.EndsWith(".ndjson.gz", StringComparison.Ordinal)), f => Assert.Contains("day=2026-11-21/hour=11/", f));
        Assert.Contains(Path.GetRelativePath(dir.Path, open), files);
        Assert.DoesNotContain(files, f => f.EndsWith(".sources", StringComparison.Ordinal) || f.EndsWith(".tmp", StringComparison.Ordinal));
        Assert.Equal(set.Events.Count, Count(dir.Path));
        // A second run has nothing to do.
        var again = new Compactor(new CompactorOptions { DataDirectory = dir.Path, Time = Noon22nd, IncludeOpenFiles = false }).CompactClosedHours();
        Assert.Equal(3, again.Hours.Count(h => h.Inputs > 0)); // only hour 11 of the 21st, now closed
        Assert.Equal(1, again.OpenFiles);
    }

    [Theory]
    [InlineData("compaction-after-sources")]
    [InlineData("compaction-after-parquet")]
    [InlineData("compaction-after-commit")]
    public async Task A_compaction_killed_at_any_step_leaves_every_event_counted_once_and_the_next_run_finishes(string faultPoint)
    {
        using var dir = new TempDirectory();
        var set = KnownDataset.Write(dir.Path);
        var before = Cat(dir.Path, "request", "2026-11-20", "2026-11-21");
        var crashed = await Cli.RunAsync(new Dictionary<string, string> { ["OXBOW_FAULT"] = faultPoint }, "store", "zip", "--data", dir.Path);
        Assert.Equal(137, crashed.Code); // SIGKILL
        var leftovers = StoreFiles(dir.Path);
        Assert.Contains(leftovers, f => f.EndsWith(".sources", StringComparison.Ordinal));

        Assert.Equal(set.Events.Count, Count(dir.Path));
        Assert.Equal(set.Events.Count, Count(dir.Path, "SELECT count(DISTINCT type || id || \"end\") FROM events"));
        Assert.Equal(before, Cat(dir.Path, "request", "2026-11-20", "2026-11-21"));

        var finished = await Cli.RunAsync("store", "zip", "--data", dir.Path);
        Assert.Equal(0, finished.Code);
        var files = StoreFiles(dir.Path);
        Assert.Equal(18, files.Count(f => f.EndsWith(".parquet", StringComparison.Ordinal)));
        Assert.DoesNotContain(files, f => f.Contains(".ndjson", StringComparison.Ordinal) || f.EndsWith(".sources", StringComparison.Ordinal) || f.EndsWith(".tmp", StringComparison.Ordinal));
        Assert.Equal(set.Events.Count, Count(dir.Path));
        Assert.Equal(before, Cat(dir.Path, "request", "2026-11-20", "2026-11-21"));
    }

    [Fact]
    public void Files_a_compaction_replaced_stay_readable_for_queries_that_listed_them_count_once_and_a_later_run_removes_them()
    {
        using var dir = new TempDirectory();
        var set = KnownDataset.Write(dir.Path);
        var listedBefore = StoreLayout.Partitions(dir.Path).Select(StoreLayout.Files).SelectMany(f => f.Sealed).ToList();
        var keep = new CompactorOptions { DataDirectory = dir.Path, Time = Noon22nd, KeepReplacedFor = TimeSpan.FromHours(1) };

        Assert.Empty(new Compactor(keep).CompactClosedHours().Failures);
        Assert.All(listedBefore, f => Assert.True(File.Exists(f), f));
        Assert.Equal(set.Events.Count, Count(dir.Path));
        // A query that listed the hour before the commit still reads every file it named.
        using (var query = new StoreQuery(new StoreQueryOptions { DataDirectory = dir.Path }))
        {
            var read = query.Run($"SELECT count(*) FROM read_json({Sql.List(listedBefore)}, format = 'newline_delimited')").Result;
            Assert.Equal((long)set.Events.Count, (long)read.Rows[0][0]!);
        }

        // A second compaction of an hour folds in the first one while the first one's inputs are still kept.
        set.WriteSealed(dir.Path, [new KnownEvent("request", KnownDataset.Id(9, 2), new DateTime(2026, 11, 20, 10, 30, 0, DateTimeKind.Utc), null, new() { ["status"] = 201 })]);
        Assert.Empty(new Compactor(keep).CompactClosedHours().Failures);
        Assert.Equal(set.Events.Count, Count(dir.Path));
        Assert.Equal(set.Events.Count, Count(dir.Path, "SELECT count(DISTINCT type || id || \"end\") FROM events"));

        new Compactor(new CompactorOptions { DataDirectory = dir.Path, Time = Noon22nd }).CompactClosedHours();
        var files = StoreFiles(dir.Path);
        Assert.DoesNotContain(files, f => f.Contains(".ndjson", StringComparison.Ordinal) || f.EndsWith(".sources", StringComparison.Ordinal));
        Assert.Equal(StoreLayout.Partitions(dir.Path).Count(), files.Count(f => f.EndsWith(".parquet", StringComparison.Ordinal)));
        Assert.Equal(set.Events.Count, Count(dir.Path));
    }

    [Fact]
    public void Cat_prints_a_range_in_end_time_order_with_both_ends_inclusive_at_hour_precision()
    {
        using var dir = new TempDirectory();
        var set = KnownDataset.Write(dir.Path);
        var lines = Cat(dir.Path, "request", "2026-11-20T10", "2026-11-20T11").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var expected = set.OfType("request").Where(e => e.End.Day == 20 && e.End.Hour is 10 or 11).OrderBy(e => e.End).ThenBy(e => e.Id, StringComparer.Ordinal).ToList();
        Assert.Equal(240, lines.Length);
        Assert.Equal(expected.Select(e => e.Line()), lines);
        // Minute precision: 10:00 up to and including the whole of 10:02 (to 10:02:59.999999) holds k = 0..6 (every 29 s).
        Assert.Equal(7, Cat(dir.Path, "request", "2026-11-20T10:00", "2026-11-20T10:02").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        // A day includes all of it.
        Assert.Equal(360, Cat(dir.Path, "request", "2026-11-21", "2026-11-21").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Throws<FormatException>(() => TimeRange.Parse("2026-11-21", "2026-11-20"));
        Assert.Throws<FormatException>(() => TimeRange.Parse("yesterday", "2026-11-20"));
    }

    [Fact]
    public void A_field_that_first_appears_after_tens_of_thousands_of_lines_is_neither_missed_by_queries_nor_lost_by_compaction()
    {
        using var dir = new TempDirectory();
        var set = new KnownDataset();
        var start = new DateTime(2026, 11, 20, 9, 0, 0, DateTimeKind.Utc);
        var events = Enumerable.Range(0, 30_000).Select(i => new KnownEvent("audit", KnownDataset.Id(5, i), start.AddTicks(i * 10), null,
            i == 29_999 ? new() { ["n"] = i, ["late"] = "here" } : new() { ["n"] = i })).ToList();
        set.WriteSealed(dir.Path, events);
        const string sql = "SELECT count(*) FROM audit WHERE late = 'here'";
        Assert.Equal(1L, Count(dir.Path, sql));
        new Compactor(new CompactorOptions { DataDirectory = dir.Path, Time = Noon22nd }).CompactClosedHours();
        Assert.Single(StoreFiles(dir.Path), f => f.EndsWith(".parquet", StringComparison.Ordinal));
        Assert.Equal(1L, Count(dir.Path, sql));
        Assert.Equal(30_000L, Count(dir.Path, "SELECT count(*) FROM audit"));
    }

    [Fact]
    public void Cat_prints_the_same_lines_before_and_after_compaction()
    {
        using var dir = new TempDirectory();
        KnownDataset.Write(dir.Path);
        var before = Cat(dir.Path, "request", "2026-11-20", "2026-11-21");
        new Compactor(new CompactorOptions { DataDirectory = dir.Path, Time = Noon22nd }).CompactClosedHours();
        Assert.Equal(before, Cat(dir.Path, "request", "2026-11-20", "2026-11-21"));
    }

    [Fact]
    public void Prune_keeps_the_retained_days_counting_today_and_removes_older_days_whole()
    {
        using var dir = new TempDirectory();
        var set = new KnownDataset();
        foreach (var day in new[] { 18, 19, 20, 21, 22 })
        {
            foreach (var type in new[] { "request", "audit" })
            {
                set.WriteSealed(dir.Path, [new KnownEvent(type, KnownDataset.Id(day, 1), new DateTime(2026, 11, day, 23, 59, 59, DateTimeKind.Utc), null, new() { ["n"] = 1 })]);
            }
        }

        var removed = Retention.Prune(new RetentionOptions
        {
            DataDirectory = dir.Path,
            RetainDays = 2,
            PerType = new Dictionary<string, int> { ["audit"] = 4 },
            Time = Noon22nd,
        });
        Assert.Equal(["type=audit/day=2026-11-18", "type=request/day=2026-11-18", "type=request/day=2026-11-19", "type=request/day=2026-11-20"], removed.Order(StringComparer.Ordinal));
        Assert.Equal(["day=2026-11-21", "day=2026-11-22"], Directory.GetDirectories(Path.Combine(dir.Path, "type=request")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(["day=2026-11-19", "day=2026-11-20", "day=2026-11-21", "day=2026-11-22"], Directory.GetDirectories(Path.Combine(dir.Path, "type=audit")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(dir.Path, "_oxbow", "trash")));
        Assert.Throws<ArgumentException>(() => Retention.Prune(new RetentionOptions { DataDirectory = dir.Path, RetainDays = 0 }));
    }

    [Fact]
    public async Task The_store_commands_report_progress_as_plain_lines_when_not_on_a_terminal()
    {
        using var dir = new TempDirectory();
        KnownDataset.Write(dir.Path);
        var zip = await Cli.RunAsync("store", "zip", "--data", dir.Path);
        Assert.Equal(0, zip.Code);
        Assert.Equal("compacted 18 hours, 1680 events\n", zip.Stdout);
        var lines = zip.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(18, lines.Length);
        Assert.Matches(@"^\d+/18 hours: type=[a-z_.]+/day=2026-11-2[01]/hour=\d\d: [12] files \([\d,]+ bytes\) -> \d+ events in local-\d{8}T\d{9}-[0-9a-f]{6}\.parquet \([\d,]+ bytes\)$", lines[0]);
        var prune = await Cli.RunAsync("store", "prune", "--data", dir.Path, "--retain-days", "1", "--retain", "request=3650");
        Assert.Equal(0, prune.Code);
        Assert.Contains("removed type=postcode_search/day=2026-11-20\n", prune.Stdout);
        Assert.DoesNotContain("type=request/", prune.Stdout);
        var bad = await Cli.RunAsync("store", "prune", "--data", dir.Path, "--retain-days", "1", "--retain", "request");
        Assert.Equal((1, "oxbow: --retain 'request' is not TYPE=DAYS with DAYS from 1 to 36500\n"), (bad.Code, bad.Stderr));
        var cat = await Cli.RunAsync("store", "cat", "billing", "--start", "2026-11-20", "--end", "2026-11-20", "--data", dir.Path);
        Assert.Equal(1, cat.Code);
        Assert.StartsWith("oxbow: Catalog Error: Table with name billing does not exist! The store has types: postcode_search, request, request.db;", cat.Stderr);
        var range = await Cli.RunAsync("store", "cat", "request", "--start", "2026-11-20T25", "--end", "2026-11-20", "--data", dir.Path);
        Assert.Equal(1, range.Code);
        Assert.StartsWith("oxbow: --start '2026-11-20T25' is not a time", range.Stderr);
    }
}
