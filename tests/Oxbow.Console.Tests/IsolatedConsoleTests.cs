using System.Net;
using Microsoft.Playwright;
using Oxbow.Console.Tests.Support;
using Oxbow.Daemon.Tests.Support;

namespace Oxbow.Console.Tests;

/// <summary>Console tests that need their own collector: a restart, a token file.</summary>
public sealed class IsolatedConsoleTests
{
    [Fact]
    public async Task A_chart_saved_to_a_dashboard_is_there_after_the_collector_restarts()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"));
        await collector.StartAsync();
        await ConsoleData.SeedAsync(collector);
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await Browser.PageAsync(browser);
        var url = $"http://127.0.0.1:{collector.ControlPort}/";
        await page.GotoAsync(url + "#/charts?kind=count_level&range=1h");
        await page.Locator("#chart canvas").First.WaitForAsync();
        await Browser.ScreenshotAsync(page, "charts");
        await page.Locator("#dashboard-name").FillAsync("Ops");
        await page.Locator("#save-chart").ClickAsync();
        await page.Locator("#dashboard h2").WaitForAsync();
        Assert.Equal("Ops", await page.Locator("#dashboard h2").TextContentAsync());

        Assert.Equal(0, await collector.TerminateAsync());
        await collector.StartAsync();
        await page.GotoAsync(url + "#/dashboards?d=Ops");
        await page.Locator("#dashboard .chart-box canvas").First.WaitForAsync();
        Assert.Equal("Ops", await page.Locator("#dashboard h2").TextContentAsync());
        Assert.Equal("Count by level", await page.Locator("#dashboard h3").First.TextContentAsync());
        await Browser.ScreenshotAsync(page, "dashboards");

        // Exported, the file is the document the collector keeps.
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#export-dashboards").ClickAsync());
        var exported = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(await download.PathAsync()));
        Assert.Equal("Ops", exported.RootElement.GetProperty("dashboards")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_token_protected_console_refuses_without_a_token_and_a_scoped_token_sees_only_its_types()
    {
        using var dir = new TempDirectory();
        var tokens = dir.Sub("tokens");
        await File.WriteAllTextAsync(tokens, "admin console-admin-token\ningest web-only-token web*\n");
        await using var collector = new DaemonProcess(dir.Sub("data"), "--token-file", tokens);
        await collector.StartAsync();
        var now = DateTime.UtcNow.AddMinutes(-1).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        await ConsoleData.SendAsync(collector,
        [
            $$$"""{"type":"web.hit","start":"{{{now}}}","end":"{{{now}}}","body":{"path":"/"}}""",
            $$$"""{"type":"billing","start":"{{{now}}}","end":"{{{now}}}","body":{"amount":12}}""",
        ], "console-admin-token");
        await collector.WaitForRowsAsync("SELECT type FROM events", 2);

        using (var bare = await collector.Http.GetAsync("v1/console/search"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, bare.StatusCode);
        }

        using (var scoped = new HttpRequestMessage(HttpMethod.Get, "v1/console/search"))
        {
            scoped.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "web-only-token");
            using var response = await collector.Http.SendAsync(scoped);
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("\"type\":\"web.hit\"", body, StringComparison.Ordinal);
            Assert.DoesNotContain("billing", body, StringComparison.Ordinal);
        }

        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await Browser.PageAsync(browser);
        await page.GotoAsync($"http://127.0.0.1:{collector.ControlPort}/");
        await page.Locator("#token-dialog").WaitForAsync();
        await page.Locator("#token-input").FillAsync("wrong-token");
        await page.Locator("#token-input").PressAsync("Enter");
        await Eventually.TrueAsync(async () => await page.Locator("#token-error").TextContentAsync() == "That token was refused.", () => "a wrong token was not refused", 60);
        await page.Locator("#token-input").FillAsync("console-admin-token");
        await page.Locator("#token-input").PressAsync("Enter");
        await page.Locator("#events tbody tr").Nth(1).WaitForAsync();
        Assert.Equal(2, await page.Locator("#events tbody tr").CountAsync());
        Assert.DoesNotContain("console-admin-token", page.Url, StringComparison.Ordinal);
    }
}
