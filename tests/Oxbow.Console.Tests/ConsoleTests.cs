using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Oxbow.Console.Tests.Support;
using Oxbow.Daemon.Tests.Support;

namespace Oxbow.Console.Tests;

/// <summary>The console in real Chromium against a real collector holding real events.</summary>
public sealed class ConsoleTests(ConsoleFixture fixture) : IClassFixture<ConsoleFixture>
{
    private static async Task<string[]> RowIdsAsync(IPage page, string table = "#events")
    {
        await page.Locator($"{table} tbody tr").First.WaitForAsync();
        return [.. (await page.Locator($"{table} tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.id)")).Order(StringComparer.Ordinal)];
    }

    [Fact]
    public async Task The_events_view_shows_exactly_the_events_a_type_and_a_field_filter_select()
    {
        // Other tests may have added events (the live view's): the page must show what the store holds now.
        var (_, counted) = await fixture.Collector.QueryAsync("SELECT count(*) AS n FROM events");
        var stored = int.Parse(counted.Split("\r\n")[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(stored >= ConsoleData.Count);
        var page = await Browser.PageAsync(fixture.Browser);
        await page.GotoAsync(fixture.Url);
        await page.Locator("#events tbody tr").Nth(stored - 1).WaitForAsync();
        Assert.Equal(stored, await page.Locator("#events tbody tr").CountAsync());
        await page.Locator("#histogram canvas").First.WaitForAsync();
        Assert.Equal(stored.ToString(System.Globalization.CultureInfo.InvariantCulture), await page.Locator("#histogram").GetAttributeAsync("data-total"));
        await Browser.ScreenshotAsync(page, "events");

        // Dragging over the histogram zooms into that range: a custom range in the URL. The list is loaded first, so
        // the page's layout has settled; a gesture the browser dropped under load is made again (the URL is polled,
        // never waited on for a fixed time).
        await page.Locator("#events-summary").Filter(new LocatorFilterOptions { HasTextRegex = new Regex("events? shown") }).WaitForAsync();
        var over = page.Locator("#histogram .u-over");
        await over.ScrollIntoViewIfNeededAsync();
        for (var attempt = 0; attempt < 5 && !page.Url.Contains("range=custom", StringComparison.Ordinal); attempt++)
        {
            var plot = await over.BoundingBoxAsync();
            await page.Mouse.MoveAsync(plot!.X + (plot.Width * 0.5f), plot.Y + (plot.Height / 2));
            await page.Mouse.DownAsync();
            await page.Mouse.MoveAsync(plot.X + (plot.Width * 0.7f), plot.Y + (plot.Height / 2), new MouseMoveOptions { Steps = 5 });
            await page.Mouse.MoveAsync(plot.X + (plot.Width * 0.9f), plot.Y + (plot.Height / 2), new MouseMoveOptions { Steps = 5 });
            await page.Mouse.UpAsync();
            try
            {
                await Eventually.TrueAsync(() => page.Url.Contains("range=custom", StringComparison.Ordinal), () => "no zoom", 10);
            }
            catch (TimeoutException)
            {
            }
        }

        Assert.Contains("range=custom", page.Url, StringComparison.Ordinal);
        await page.GotoAsync(fixture.Url + "#/events?range=1h");
        await page.Locator("#events tbody tr").First.WaitForAsync();

        await page.GetByLabel("Types").FillAsync("request*");
        await page.GetByLabel("Filter").FillAsync("status >= 500 and path like '/api/%'");
        await page.GetByLabel("Filter").PressAsync("Enter");
        await page.WaitForURLAsync(new Regex("filter="));
        await Eventually.TrueAsync(async () => await page.Locator("#events tbody tr").CountAsync() == 3 && await page.Locator("#events-summary").TextContentAsync() is { Length: > 0 },
            () => "the filtered list never held 3 rows", 60);
        Assert.Equal(ConsoleData.FailingApiRequests, await RowIdsAsync(page));

        // The filtered view is a link: opened afresh, it shows the same rows.
        var again = await Browser.PageAsync(fixture.Browser);
        await again.GotoAsync(page.Url);
        await again.Locator("#events tbody tr").Nth(2).WaitForAsync();
        Assert.Equal(ConsoleData.FailingApiRequests, await RowIdsAsync(again));

        // Keyboard: focus a row, Enter opens it.
        await again.Locator("#events tbody tr").First.FocusAsync();
        await again.Keyboard.PressAsync("Enter");
        await again.Locator("aside.detail").WaitForAsync();
        Assert.Contains("upstream timed out", await again.Locator("aside.detail").TextContentAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_event_opens_its_request_tree_and_then_its_trace_across_two_services()
    {
        var page = await Browser.PageAsync(fixture.Browser);
        await page.GotoAsync(fixture.Url + "#/events?filter=" + Uri.EscapeDataString("user = 'ann'"));
        await page.Locator($"#events tr[data-id='{ConsoleData.AnnRequestId}']").ClickAsync();
        await page.Locator("aside.detail").WaitForAsync();
        await Browser.ScreenshotAsync(page, "event");

        // Clicking a value adds it to the filter.
        await page.Locator("aside.detail .value[data-field='path']").ClickAsync();
        await page.WaitForURLAsync(new Regex("path"));
        Assert.Equal("user = 'ann' and path = '/api/orders/77'", await page.GetByLabel("Filter").InputValueAsync());

        await page.GotoAsync(fixture.Url + "#/request/" + ConsoleData.AnnRequestId);
        await page.Locator("#request-tree .tree-row").Nth(2).WaitForAsync();
        var tree = await page.Locator("#request-tree .tree-row").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.type + '@' + r.dataset.depth)");
        Assert.Equal(["request@0", "request.db@1", "request.httpclient@1"], tree);
        await Browser.ScreenshotAsync(page, "request");

        await page.Locator(".trace-link").ClickAsync();
        await page.Locator("#trace-waterfall .tree-row").Nth(1).WaitForAsync();
        var waterfall = await page.Locator("#trace-waterfall .tree-row").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.type + '@' + r.dataset.depth)");
        Assert.Equal(["span@0", "request@1"], waterfall);
        Assert.Equal("2 events · 2 services: gateway, orders", await page.Locator("#trace-summary").TextContentAsync());
        await Browser.ScreenshotAsync(page, "trace");
    }

    [Fact]
    public async Task A_live_event_appears_in_the_live_view_and_other_types_do_not()
    {
        var page = await Browser.PageAsync(fixture.Browser);
        await page.GotoAsync(fixture.Url + "#/live?type=deploy&filter=" + Uri.EscapeDataString("ok = true"));
        await Eventually.TrueAsync(async () => (await page.Locator("#live-status").TextContentAsync() ?? "").StartsWith("following", StringComparison.Ordinal) && fixture.Collector.Output.Length > 0,
            () => "the live view never followed", 60);
        await fixture.Collector.WaitForStatAsync(1, "tail", "subscribers");
        var now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        // In one batch, in this order: a type the view does not follow, a deploy the filter refuses, the one it shows.
        await ConsoleData.SendAsync(fixture.Collector,
        [
            $$$"""{"type":"web.hit","start":"{{{now}}}","end":"{{{now}}}","body":{"path":"/"}}""",
            $$$"""{"type":"deploy","start":"{{{now}}}","end":"{{{now}}}","body":{"version":"1.0","ok":false}}""",
            $$$"""{"type":"deploy","start":"{{{now}}}","end":"{{{now}}}","level":"info","body":{"version":"2.0","ok":true}}""",
        ]);
        await page.Locator("#live tbody tr").First.WaitForAsync();
        Assert.Equal(1, await page.Locator("#live tbody tr").CountAsync());
        Assert.Contains("version=2.0", await page.Locator("#live tbody tr").First.TextContentAsync(), StringComparison.Ordinal);
        await Browser.ScreenshotAsync(page, "live");
    }

    [Fact]
    public async Task SQL_runs_in_the_page_and_its_CSV_download_has_exact_contents()
    {
        var page = await Browser.PageAsync(fixture.Browser);
        await page.GotoAsync(fixture.Url + "#/sql");
        await page.Locator(".schema details").First.WaitForAsync();
        await page.Locator("#sql-editor").FillAsync("SELECT path, status FROM request WHERE status >= 500 ORDER BY status DESC, path");
        await page.Locator("#sql-run").ClickAsync();
        await page.Locator("#sql-results tbody tr").Nth(3).WaitForAsync();
        Assert.StartsWith("4 rows", await page.Locator("#sql-status").TextContentAsync(), StringComparison.Ordinal);
        await Browser.ScreenshotAsync(page, "sql");

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#sql-csv").ClickAsync());
        var path = await download.PathAsync();
        Assert.Equal("path,status\r\n/api/pay,503\r\n/api/pay,502\r\n/api/pay,501\r\n/health,500\r\n", await File.ReadAllTextAsync(path));

        // A runaway query is cancelled from the page; the collector answers the next one.
        await page.Locator("#sql-editor").FillAsync("SELECT sum(a.range * b.range) AS s FROM range(1000000000) a, range(1000000000) b");
        await page.Locator("#sql-run").ClickAsync();
        await Eventually.TrueAsync(async () => await page.Locator("#sql-cancel").IsEnabledAsync(), () => "the query never started", 60);
        await page.Locator("#sql-cancel").ClickAsync();
        await Eventually.TrueAsync(async () => await page.Locator("#sql-error").TextContentAsync() == "cancelled", () => "the query was not cancelled", 60);
        var (_, one) = await fixture.Collector.QueryAsync("SELECT 1 AS one");
        Assert.Equal("one\r\n1\r\n", one);

        // A statement that writes is refused, with the reason, in the page.
        await page.Locator("#sql-editor").FillAsync("DROP VIEW request");
        await page.Locator("#sql-run").ClickAsync();
        await Eventually.TrueAsync(async () => (await page.Locator("#sql-error").TextContentAsync() ?? "").Contains("only queries (SELECT)", StringComparison.Ordinal),
            () => "the refusal was never shown", 60);
    }

    [Fact]
    public async Task A_filter_with_a_syntax_error_says_where_and_an_injection_attempt_is_only_a_value()
    {
        var page = await Browser.PageAsync(fixture.Browser);
        await page.GotoAsync(fixture.Url + "#/events?filter=" + Uri.EscapeDataString("status >="));
        await Eventually.TrueAsync(async () => (await page.Locator("#events-error").TextContentAsync() ?? "").Length > 0, () => "no error shown", 60);
        Assert.Equal("expected a value ('text', a number, true or false), found the end at position 10", await page.Locator("#events-error").TextContentAsync());

        await page.GotoAsync(fixture.Url + "#/events?filter=" + Uri.EscapeDataString("user = 'ann'; DROP VIEW request"));
        await Eventually.TrueAsync(async () => (await page.Locator("#events-error").TextContentAsync() ?? "").Length > 0, () => "no error shown", 60);
        Assert.Equal("unexpected character ';' at position 13", await page.Locator("#events-error").TextContentAsync());

        // A quote inside a value is part of the value: no rows match it, and nothing else happens.
        await page.GotoAsync(fixture.Url + "#/events?filter=" + Uri.EscapeDataString("user = 'x'' or ''1''=''1'"));
        await Eventually.TrueAsync(async () => (await page.Locator("#events-summary").TextContentAsync() ?? "").StartsWith("0 events", StringComparison.Ordinal),
            () => "the injection attempt did not answer with no rows", 60);
        var (status, count) = await fixture.Collector.QueryAsync("SELECT count(*) AS n FROM events");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("n\r\n", count, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_status_view_shows_the_collector_counts_by_type()
    {
        var page = await Browser.PageAsync(fixture.Browser);
        await page.GotoAsync(fixture.Url + "#/status");
        await page.Locator("#status-types tbody tr").First.WaitForAsync();
        var rows = await page.Locator("#status-types tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.cells[0].textContent + '=' + r.cells[1].textContent)");
        Assert.Contains("request=41", rows);
        Assert.Contains("request.db=1", rows);
        await Browser.ScreenshotAsync(page, "status");

        // Narrow windows work too: the events view at phone width.
        var narrow = await Browser.PageAsync(fixture.Browser, 420, 800);
        await narrow.GotoAsync(fixture.Url);
        await narrow.Locator("#events tbody tr").First.WaitForAsync();
        await Browser.ScreenshotAsync(narrow, "events-narrow");
    }
}
