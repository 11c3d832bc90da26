using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Oxbow.Query.Store;
using Oxbow.Query.Tests.Support;
using Oxbow.Store;

namespace Oxbow.Query.Tests;

/// <summary>The collector's side: POST /v1/query, oxbow query --control, background compaction, zip while running.</summary>
public sealed class CollectorQueryTests
{
    /// <summary>NDJSON for <paramref name="count"/> events spread over three past hours (HTTP ingest fills in id, host…).</summary>
    private static string PastEvents(int count) => string.Concat(Enumerable.Range(0, count).Select(i =>
        $"{{\"type\":\"request\",\"end\":\"2026-11-20T{9 + (i % 3):D2}:{i % 60:D2}:00.000000Z\",\"body\":{{\"status\":{(i % 4 == 0 ? 500 : 200)},\"n\":{i}}}}}\n"));

    private static async Task PostAsync(DaemonProcess collector, string ndjson, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/events") { Content = new StringContent(ndjson, Encoding.UTF8, "application/x-ndjson") };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await collector.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Post_v1_query_answers_rows_and_stats_and_needs_the_admin_token()
    {
        using var dir = new TempDirectory();
        var tokens = dir.Sub("tokens");
        File.WriteAllText(tokens, "admin adm1n\ningest ing3st request*\n");
        await using var collector = new DaemonProcess(dir.Sub("data"), "--token-file", tokens, "--compact-after", "off");
        await collector.StartAsync();
        await PostAsync(collector, PastEvents(300), "ing3st");
        await collector.WaitForStatAsync(300, "store", "events");

        async Task<HttpResponseMessage> Query(object body, string? token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/query") { Content = JsonContent.Create(body) };
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            return await collector.Http.SendAsync(request);
        }

        using (var answer = await Query(new { sql = "SELECT hour, status, count(*) AS n FROM request WHERE hour = 10 GROUP BY ALL ORDER BY ALL", stats = true }, "adm1n"))
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            using var json = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
            var root = json.RootElement;
            Assert.Equal("[{\"name\":\"hour\",\"type\":\"INTEGER\"},{\"name\":\"status\",\"type\":\"BIGINT\"},{\"name\":\"n\",\"type\":\"BIGINT\"}]", root.GetProperty("columns").GetRawText());
            Assert.Equal("[[10,200,75],[10,500,25]]", root.GetProperty("rows").GetRawText());
            Assert.Equal(2, root.GetProperty("row_count").GetInt32());
            Assert.False(root.GetProperty("truncated").GetBoolean());
            Assert.Equal(1, root.GetProperty("stats").GetProperty("files_read").GetInt64());
            Assert.Equal(3, root.GetProperty("stats").GetProperty("files_considered").GetInt64());
        }

        using (var truncated = await Query(new { sql = "SELECT n FROM request ORDER BY n", max_rows = 5 }, "adm1n"))
        {
            using var json = JsonDocument.Parse(await truncated.Content.ReadAsStringAsync());
            Assert.Equal("[[0],[1],[2],[3],[4]]", json.RootElement.GetProperty("rows").GetRawText());
            Assert.True(json.RootElement.GetProperty("truncated").GetBoolean());
        }

        using (var forbidden = await Query(new { sql = "SELECT 1" }, "ing3st"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        }

        using (var anonymous = await Query(new { sql = "SELECT 1" }, null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using (var bad = await Query(new { sql = "SELECT * FROM billing" }, "adm1n"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.StartsWith("{\"error\":\"Catalog Error: Table with name billing does not exist! The store has types: request;", await bad.Content.ReadAsStringAsync());
        }

        var cli = await Cli.RunAsync(new Dictionary<string, string> { ["OXBOW_TOKEN"] = "adm1n" },
            "query", "SELECT status, count(*) AS n FROM request GROUP BY ALL ORDER BY status", "--control", $"127.0.0.1:{collector.ControlPort}", "--stats");
        Assert.Equal(0, cli.Code);
        Assert.Equal("status  n\n------  ---\n   200  225\n   500   75\n(2 rows)\n", cli.Stdout);
        Assert.StartsWith("files read: 3 of 3 in 1 scan(s);", cli.Stderr);
    }

    [Fact]
    public async Task The_collector_compacts_closed_hours_in_the_background_and_queries_see_every_event_throughout()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"), "--compact-after", "0", "--seal-after", "0.2");
        await collector.StartAsync();
        await PostAsync(collector, PastEvents(3000));
        await collector.WaitForStatAsync(3000, "compaction", "events");
        var parquet = Directory.EnumerateFiles(dir.Sub("data"), "*.parquet", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir.Sub("data"), f)).Order().ToList();
        Assert.Equal(3, parquet.Count);
        Assert.All(parquet, p => Assert.Matches(@"^type=request/day=2026-11-20/hour=(09|10|11)/[a-z0-9_]+_[0-9a-f]{6}-\d{8}T\d{9}-[0-9a-f]{6}\.parquet$", p));
        // The NDJSON the Parquet files replaced no longer counts (it stays a while for queries that listed it).
        Assert.All(StoreLayout.Partitions(dir.Sub("data")).Select(StoreLayout.Files), f => Assert.Equal(0, f.Active.Count + f.Sealed.Count));

        // Late events for a compacted hour are stored, compacted in turn, and counted once.
        await PostAsync(collector, PastEvents(30));
        await collector.WaitForStatAsync(3030, "compaction", "events");
        var result = await Cli.RunAsync("query", "SELECT count(*) AS n, count(DISTINCT id) AS ids FROM request", "--data", dir.Sub("data"), "--format", "csv");
        Assert.Equal("n,ids\r\n3030,3030\r\n", result.Stdout);
        var metrics = await collector.Http.GetStringAsync("metrics");
        Assert.Contains("oxbow_compacted_events_total 3030\n", metrics);
    }

    [Fact]
    public async Task Zip_asks_a_running_collector_to_seal_its_closed_hours_and_compacts_them()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"), "--compact-after", "off");
        await collector.StartAsync();
        await PostAsync(collector, PastEvents(600));
        await collector.WaitForStatAsync(600, "store", "events");
        Assert.Equal(3, Directory.EnumerateFiles(dir.Sub("data"), "*.ndjson", SearchOption.AllDirectories).Count());
        var zip = await Cli.RunAsync("store", "zip", "--data", dir.Sub("data"));
        Assert.Equal(0, zip.Code);
        Assert.Equal("compacted 3 hours, 600 events\n", zip.Stdout);
        // Ingest goes on into new files after the seal.
        await PostAsync(collector, PastEvents(6));
        await collector.WaitForStatAsync(606, "store", "events");
        var count = await Cli.RunAsync("query", "SELECT count(*) FROM request", "--data", dir.Sub("data"), "--format", "csv");
        Assert.Equal("count_star()\r\n606\r\n", count.Stdout);
    }

    [Fact]
    public async Task A_second_daemon_on_the_same_data_directory_is_refused()
    {
        using var dir = new TempDirectory();
        await using var first = new DaemonProcess(dir.Sub("data"));
        await first.StartAsync();
        await using var second = new DaemonProcess(dir.Sub("data"));
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(second.StartAsync);
        Assert.Contains($"oxbow: another oxbow daemon is running on {dir.Sub("data")}", failure.Message);
    }
}
