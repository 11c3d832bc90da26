using System.Text.Json.Nodes;
using Oxbow.DuckDb;
using Oxbow.Query.Store;
using Oxbow.Query.Tests.Support;
using Oxbow.Store;
using Oxbow.Store.Compaction;
using Oxbow.Store.Listing;

namespace Oxbow.Query.Tests;

public sealed class StoreListingTests
{
    private static readonly FixedTime Noon22nd = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));

    private static long Count(StoreQuery query, string sql = "SELECT count(*) FROM events") => (long)query.Run(sql).Result.Rows[0][0]!;

    private static List<KnownEvent> Requests(int count, int hour, int from) =>
        [.. Enumerable.Range(from, count).Select(i => new KnownEvent("request", KnownDataset.Id(9, i), new DateTime(2026, 11, 21, hour, 30, 0, DateTimeKind.Utc), null, new JsonObject { ["status"] = 200 }))];

    [Fact]
    public void With_a_change_feed_the_engine_relists_exactly_the_hours_a_record_names()
    {
        using var dir = new TempDirectory();
        var set = KnownDataset.Write(dir.Path);
        StoreChanges.Record(dir.Path, StoreChanges.Everything); // the feed exists from here on
        using var query = new StoreQuery(new StoreQueryOptions { DataDirectory = dir.Path });
        Assert.Equal(set.Events.Count, Count(query));

        // A file put in by hand, with no record: the engine does not stat the store's directories, so it is not seen.
        set.WriteSealed(dir.Path, Requests(7, 10, 0));
        Assert.Equal(set.Events.Count - 7, Count(query));

        // The record of another hour changes nothing for it; the record of its hour brings it in.
        StoreChanges.Record(dir.Path, "type=request/day=2026-11-21/hour=09");
        Assert.Equal(set.Events.Count - 7, Count(query));
        StoreChanges.Record(dir.Path, "type=request/day=2026-11-21/hour=10");
        Assert.Equal(set.Events.Count, Count(query));
    }

    [Fact]
    public void A_record_of_a_day_relists_every_hour_under_it_including_hours_that_are_gone()
    {
        using var dir = new TempDirectory();
        var set = KnownDataset.Write(dir.Path);
        StoreChanges.Record(dir.Path, StoreChanges.Everything);
        using var query = new StoreQuery(new StoreQueryOptions { DataDirectory = dir.Path });
        Assert.Equal(set.Events.Count, Count(query));

        Directory.Delete(Path.Combine(dir.Path, "type=request", "day=2026-11-20"), recursive: true);
        set.WriteSealed(dir.Path, Requests(5, 11, 100));
        StoreChanges.Record(dir.Path, "type=request/day=2026-11-20");

        var request20th = set.OfType("request").Count(e => e.End.Day == 20);
        var request21st = set.OfType("request").Count(e => e.End.Day == 21);
        // The 20th is gone; the 21st's new file has no record of its own day yet.
        Assert.Equal(request21st - 5, Count(query, "SELECT count(*) FROM request"));
        Assert.True(request20th > 0);
    }

    [Fact]
    public void Compaction_and_retention_record_what_they_change_so_a_long_lived_engine_follows_them()
    {
        using var dir = new TempDirectory();
        var set = KnownDataset.Write(dir.Path);
        StoreChanges.Record(dir.Path, StoreChanges.Everything);
        using var query = new StoreQuery(new StoreQueryOptions { DataDirectory = dir.Path });
        Assert.Equal(set.Events.Count, Count(query));

        var summary = new Compactor(new CompactorOptions { DataDirectory = dir.Path, Time = Noon22nd, KeepReplacedFor = TimeSpan.Zero }).CompactClosedHours();
        Assert.Empty(summary.Failures);
        var afterCompaction = query.Run("SELECT count(*) FROM events", collectStats: true);
        Assert.Equal(set.Events.Count, (long)afterCompaction.Result.Rows[0][0]!);
        Assert.Equal(summary.Hours.Count, afterCompaction.Stats!.FilesRead); // one Parquet file per hour, no NDJSON

        var removed = Retention.Prune(new RetentionOptions { DataDirectory = dir.Path, RetainDays = 1, Time = Noon22nd });
        Assert.NotEmpty(removed);
        Assert.Equal(0, Count(query)); // both days are older than one day on the 22nd
    }

    [Fact]
    public void A_store_without_a_feed_is_followed_through_its_directory_times()
    {
        using var dir = new TempDirectory();
        var set = KnownDataset.Write(dir.Path);
        using var query = new StoreQuery(new StoreQueryOptions { DataDirectory = dir.Path });
        Assert.Equal(set.Events.Count, Count(query));

        set.WriteSealed(dir.Path, Requests(7, 10, 0));
        Assert.False(Directory.Exists(StoreChanges.Directory(dir.Path)));
        Assert.Equal(set.Events.Count, Count(query));
    }

    [Fact]
    public void A_file_that_vanished_under_a_query_makes_the_engine_list_everything_again()
    {
        using var dir = new TempDirectory();
        var set = KnownDataset.Write(dir.Path);
        StoreChanges.Record(dir.Path, StoreChanges.Everything);
        using var query = new StoreQuery(new StoreQueryOptions { DataDirectory = dir.Path });
        Assert.Equal(set.Events.Count, Count(query));

        // Removed by hand with no record: the query meets the missing file, lists again and answers without it.
        var hour = Path.Combine(dir.Path, "type=request", "day=2026-11-21", "hour=09");
        var removed = set.OfType("request").Count(e => e.End is { Day: 21, Hour: 9 });
        Directory.Delete(hour, recursive: true);
        Assert.Equal(set.Events.Count - removed, Count(query));
    }

    [Theory]
    [InlineData("type=../x")]
    [InlineData("../../etc")]
    [InlineData("type=request/day=yesterday")]
    [InlineData("type=request/day=2026-11-21/hour=24")]
    [InlineData("type=request/day=2026-11-21/hour=9")]
    [InlineData("type=request/day=2026-11-21/hour=09/extra")]
    [InlineData("")]
    public void A_record_that_is_not_a_store_directory_names_no_partition(string text)
    {
        using var dir = new TempDirectory();
        KnownDataset.Write(dir.Path);
        Assert.Empty(StoreLayout.PartitionsUnder(dir.Path, text));
    }

    [Fact]
    public void A_record_names_its_type_day_or_hour_and_nothing_else()
    {
        using var dir = new TempDirectory();
        KnownDataset.Write(dir.Path);
        Assert.Equal(6, StoreLayout.PartitionsUnder(dir.Path, "type=request").Count());
        Assert.Equal(3, StoreLayout.PartitionsUnder(dir.Path, "type=request/day=2026-11-21").Count());
        Assert.Equal([10], StoreLayout.PartitionsUnder(dir.Path, "type=request/day=2026-11-21/hour=10").Select(p => p.Hour));
        Assert.Empty(StoreLayout.PartitionsUnder(dir.Path, "type=request/day=2026-11-22"));
    }

    [Fact]
    public void Lines_appended_to_an_open_file_count_at_once_and_a_new_field_in_it_becomes_a_column_of_its_type_and_of_events()
    {
        using var dir = new TempDirectory();
        var set = KnownDataset.Write(dir.Path);
        StoreChanges.Record(dir.Path, StoreChanges.Everything);
        using var query = new StoreQuery(new StoreQueryOptions { DataDirectory = dir.Path });
        var open = set.WriteSealed(dir.Path, Requests(1, 11, 500), open: true);
        StoreChanges.Record(dir.Path, "type=request/day=2026-11-21/hour=11");
        Assert.Equal(set.Events.Count, Count(query));

        File.AppendAllText(open, Requests(1, 11, 501)[0].Line() + "\n");
        Assert.Equal(set.Events.Count + 1, Count(query));

        var withRegion = Requests(1, 11, 502)[0];
        withRegion.Body["region"] = "eu-west";
        File.AppendAllText(open, withRegion.Line() + "\n");
        Assert.Equal(set.Events.Count + 2, Count(query));
        Assert.Equal("eu-west", query.Run("SELECT region FROM request WHERE region IS NOT NULL").Result.Rows.Single()[0]);
        Assert.Equal(1L, Count(query, "SELECT count(region) FROM events"));
    }

    [Fact]
    public void A_type_that_appears_or_goes_joins_or_leaves_events()
    {
        using var dir = new TempDirectory();
        var set = KnownDataset.Write(dir.Path);
        StoreChanges.Record(dir.Path, StoreChanges.Everything);
        using var query = new StoreQuery(new StoreQueryOptions { DataDirectory = dir.Path });
        Assert.Equal(set.Events.Count, Count(query));

        var audits = Enumerable.Range(0, 4).Select(i => new KnownEvent("audit", KnownDataset.Id(7, i), new DateTime(2026, 11, 21, 9, 0, 0, DateTimeKind.Utc), null, new JsonObject { ["actor"] = "ann" })).ToList();
        set.WriteSealed(dir.Path, audits);
        StoreChanges.Record(dir.Path, "type=audit");
        Assert.Equal(set.Events.Count, Count(query));
        Assert.Equal(4L, Count(query, "SELECT count(actor) FROM events"));

        Directory.Delete(Path.Combine(dir.Path, "type=audit"), recursive: true);
        StoreChanges.Record(dir.Path, "type=audit");
        Assert.Equal(set.Events.Count - 4, Count(query));
        Assert.Contains("actor", Assert.Throws<Oxbow.DuckDb.DuckDbException>(() => query.Run("SELECT count(actor) FROM events")).Message);
    }
}
