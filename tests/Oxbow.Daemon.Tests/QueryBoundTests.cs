using System.Net;
using System.Text;
using System.Text.Json;
using Oxbow.Daemon.Tests.Support;

namespace Oxbow.Daemon.Tests;

/// <summary>No query can take the collector's SQL down: timeouts, interrupts, a memory limit and row caps, against a real daemon.</summary>
public sealed class QueryBoundTests
{
    // Never finishes in any reasonable time: a cross product of two large ranges.
    private const string Runaway = "SELECT sum(a.range * b.range) AS s FROM range(1000000000) a, range(1000000000) b";

    [Fact]
    public async Task A_runaway_query_is_stopped_at_its_timeout_while_other_queries_answer()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"), "--query-timeout", "600");
        await collector.StartAsync();

        var runaway = collector.QueryAsync(Runaway, timeoutSeconds: 2);
        // Another query does not wait for it.
        var (status, body) = await collector.QueryAsync("SELECT 42 AS answer");
        Assert.Equal("answer\r\n42\r\n", body);
        Assert.False(runaway.IsCompleted && (await runaway).Status == HttpStatusCode.OK);

        (status, body) = await runaway;
        Assert.Equal(HttpStatusCode.RequestTimeout, status);
        Assert.Contains("the query was stopped after 2 s", body);
        (status, body) = await collector.QueryAsync("SELECT 43 AS answer");
        Assert.Equal("answer\r\n43\r\n", body);
    }

    [Fact]
    public async Task A_query_whose_client_disconnects_is_interrupted_and_the_daemon_stops_promptly_on_SIGTERM_during_a_runaway_query()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"));
        await collector.StartAsync();
        using (var leaving = new CancellationTokenSource(TimeSpan.FromSeconds(1)))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/query") { Content = new StringContent(JsonSerializer.Serialize(new { sql = Runaway })) };
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => collector.Http.SendAsync(request, leaving.Token));
        }

        var (_, body) = await collector.QueryAsync("SELECT 1 AS one");
        Assert.Equal("one\r\n1\r\n", body);

        var stuck = collector.QueryAsync(Runaway);
        await Eventually.TrueAsync(() => File.Exists(Path.Combine(dir.Sub("data"), "_oxbow", "daemon.lock")), () => collector.Output);
        // The daemon interrupts the query on its way down instead of waiting for it (and keeping daemon.lock) for ever.
        Assert.Equal(0, await collector.TerminateAsync());
        try
        {
            var (status, answer) = await stuck;
            Assert.True(status == HttpStatusCode.ServiceUnavailable, $"{status}: {answer}");
        }
        catch (HttpRequestException)
        {
            // Or the connection closed under it: either way it did not hold the daemon up.
        }
    }

    [Fact]
    public async Task A_query_over_the_memory_limit_fails_with_a_reason_and_the_collector_keeps_answering()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"), "--query-memory", "64MiB");
        await collector.StartAsync();
        var (status, body) = await collector.QueryAsync("SELECT list(range::VARCHAR || 'padding-padding-padding') AS l FROM range(30000000)");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("Out of Memory", body);
        (status, body) = await collector.QueryAsync("SELECT current_setting('memory_limit') AS m");
        Assert.True(status == HttpStatusCode.OK, body);
        Assert.StartsWith("m\r\n6", body, StringComparison.Ordinal); // 64 MiB, as DuckDB prints it (61.0 MiB or 64.0 MiB)
    }

    [Theory]
    [InlineData("csv", 10_001)]
    [InlineData("jsonl", 10_000)]
    [InlineData("table", 10_003)]
    public async Task A_huge_answer_is_cut_at_max_rows_and_says_so_in_every_format(string format, int lines)
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"));
        await collector.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/query")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { sql = "SELECT range AS n FROM range(40000000) ORDER BY n", format }), Encoding.UTF8, "application/json"),
        };
        using var response = await collector.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("true", response.Headers.GetValues("Oxbow-Truncated").Single());
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(lines, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("9999", text);
        Assert.DoesNotContain("10000\r\n", text);

        using var small = new HttpRequestMessage(HttpMethod.Post, "v1/query")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { sql = "SELECT range AS n FROM range(3)", format, max_rows = 3 }), Encoding.UTF8, "application/json"),
        };
        using var whole = await collector.Http.SendAsync(small);
        Assert.Equal("false", whole.Headers.GetValues("Oxbow-Truncated").Single());
    }
}
