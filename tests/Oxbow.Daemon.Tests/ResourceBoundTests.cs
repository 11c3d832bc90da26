using System.Globalization;
using System.Net;
using System.Text;
using Oxbow.Daemon.Tests.Support;
using Oxbow.Transport;

namespace Oxbow.Daemon.Tests;

/// <summary>Every input has a bound: open files, event times. Each against a real <c>oxbow serve</c>.</summary>
public sealed class ResourceBoundTests
{
    private static readonly DateTime Origin = new(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>One event per hour from <see cref="Origin"/>: hour <c>i</c> for every i in [from, to).</summary>
    private static byte[] Hourly(int from, int to)
    {
        var text = new StringBuilder();
        for (var i = from; i < to; i++)
        {
            var at = Timestamps.Format(Origin.AddHours(i));
            text.Append(CultureInfo.InvariantCulture, $"{{\"id\":\"{OxId.NewId()}\",\"type\":\"backfill\",\"start\":\"{at}\",\"end\":\"{at}\",\"level\":\"info\",\"body\":{{\"n\":{i}}}}}\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    [Fact]
    public async Task A_backfill_over_30000_distinct_hours_keeps_open_files_within_the_bound_and_every_event_stays_queryable_across_a_restart()
    {
        const int Hours = 30_000;
        const int Bound = 64;
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"), "--max-open-files", Bound.ToString(CultureInfo.InvariantCulture), "--compact-after", "off");
        await collector.StartAsync();
        var baseline = collector.OpenDescriptors;
        var peak = 0;
        await using (var sender = new BatchSender(new BatchSenderOptions { Endpoints = [collector.Ingest] }))
        {
            for (var from = 0; from < Hours; from += 1000)
            {
                var result = await sender.SendAsync(new OutgoingBatch(BatchId.New(), 1000, Hourly(from, from + 1000)));
                Assert.True(result.Acknowledged, result.Rejection?.Message + collector.Output);
                peak = Math.Max(peak, collector.OpenDescriptors);
                var open = await collector.StatAsync("store", "open_files");
                Assert.True(open <= Bound, $"{open} open files");
            }
        }

        // The daemon's own descriptors (sockets, spool, libraries) plus the bound, with room for seals in flight.
        Assert.True(peak <= baseline + Bound + 16, $"{peak} descriptors open, {baseline} at start, bound {Bound}");
        var closed = await collector.StatAsync("store", "files_closed_by_bound");
        Assert.True(closed >= Hours - Bound, $"{closed} files closed by the bound");
        // 30,000 files: a query defines views over all of them (issue 23), which takes long on a loaded machine.
        var (status, body) = await collector.QueryAsync("SELECT count(*) AS n, count(DISTINCT (day, hour)) AS hours FROM backfill", timeoutSeconds: 600);
        Assert.True(status == HttpStatusCode.OK, $"{status}: {body}\n{collector.Output[^Math.Min(3000, collector.Output.Length)..]}");
        Assert.Equal($"n,hours\r\n{Hours},{Hours}\r\n", body);

        Assert.Equal(0, await collector.TerminateAsync());
        await collector.StartAsync();
        Assert.True(collector.OpenDescriptors <= baseline + Bound + 16, $"{collector.OpenDescriptors} descriptors open after restart");
        (status, body) = await collector.QueryAsync("SELECT count(*) AS n, count(DISTINCT n) AS distinct_n FROM backfill", timeoutSeconds: 600);
        Assert.True(status == HttpStatusCode.OK, $"{status}: {body}\n{collector.Output[^Math.Min(3000, collector.Output.Length)..]}");
        Assert.Equal($"n,distinct_n\r\n{Hours},{Hours}\r\n", body);
        Assert.DoesNotContain(Directory.EnumerateFiles(dir.Sub("data"), "*.gz", SearchOption.AllDirectories), f => new FileInfo(f).Length == 0);
    }

    [Fact]
    public async Task Events_outside_the_accepted_window_are_refused_with_a_reason_and_counted()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"), "--accept-past", "86400");
        await collector.StartAsync();
        var now = DateTime.UtcNow;
        static string Line(DateTime end) => $"{{\"id\":\"{OxId.NewId()}\",\"type\":\"w\",\"start\":\"{Timestamps.Format(end)}\",\"end\":\"{Timestamps.Format(end)}\",\"level\":\"info\",\"body\":{{}}}}\n";

        using (var future = await collector.Http.PostAsync("v1/events", new StringContent(Line(now) + Line(now.AddDays(3)))))
        {
            Assert.Equal(HttpStatusCode.BadRequest, future.StatusCode);
            Assert.Contains("line 2: end ", await future.Content.ReadAsStringAsync());
            Assert.Contains("ahead of the collector's clock (accept-future)", await future.Content.ReadAsStringAsync());
        }

        await using var sender = new BatchSender(new BatchSenderOptions { Endpoints = [collector.Ingest] });
        var past = await sender.SendAsync(new OutgoingBatch(BatchId.New(), 1, Encoding.UTF8.GetBytes(Line(now.AddDays(-2)))));
        Assert.False(past.Acknowledged);
        Assert.Equal(RejectReason.InvalidEvent, past.Rejection!.Reason);
        Assert.Contains("before the collector's clock (accept-past)", past.Rejection.Message);
        Assert.True((await sender.SendAsync(new OutgoingBatch(BatchId.New(), 1, Encoding.UTF8.GetBytes(Line(now))))).Acknowledged);
        Assert.Equal(2, await collector.StatAsync("counters", "events_outside_window"));
    }

    [Theory]
    [InlineData("2026-02-31T10:00:00.000000Z")]
    [InlineData("0000-01-01T00:00:00.000000Z")]
    [InlineData("1969-12-31T23:00:00.000000Z")]
    public async Task An_impossible_date_is_refused_on_the_canonical_path(string end)
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"));
        await collector.StartAsync();
        var line = $"{{\"id\":\"{OxId.NewId()}\",\"type\":\"d\",\"start\":\"{end}\",\"end\":\"{end}\",\"level\":\"info\",\"body\":{{}}}}\n";
        using var response = await collector.Http.PostAsync("v1/events", new StringContent(line));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not an ISO-8601 timestamp of a real date from 1970 to 9999", await response.Content.ReadAsStringAsync());
        Assert.Empty(StoredEvents.Files(dir.Sub("data")));
    }
}
