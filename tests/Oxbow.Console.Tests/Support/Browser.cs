using Microsoft.Playwright;

namespace Oxbow.Console.Tests.Support;

/// <summary>
/// Debian's Chromium (<c>/usr/bin/chromium</c>), driven by Playwright, headless; never a browser Playwright downloads.
/// The flags keep it off this machine's closed network (its background connections would be refused, many at a time).
/// </summary>
internal static class Browser
{
    public const string Executable = "/usr/bin/chromium";

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Executable,
            Headless = true,
            Args = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        return (playwright, browser);
    }

    /// <summary>A page at 1280×800 (or <paramref name="width"/>), waiting up to a minute for anything: a loaded CI machine is slow, never wrong.</summary>
    public static async Task<IPage> PageAsync(IBrowser browser, int width = 1280, int height = 800)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height }, AcceptDownloads = true });
        context.SetDefaultTimeout(60_000);
        context.SetDefaultNavigationTimeout(60_000);
        return await context.NewPageAsync();
    }

    /// <summary>Saves a screenshot of the page to docs/console/ in the repository (committed: the README and docs show them).</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Oxbow.slnx")))
        {
            dir = dir.Parent;
        }

        var target = Path.Combine(dir!.FullName, "docs", "console");
        Directory.CreateDirectory(target);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(target, name + ".png") });
    }
}
