using Microsoft.Playwright;
using Oxbow.Daemon.Tests.Support;

namespace Oxbow.Console.Tests.Support;

/// <summary>One real collector holding <see cref="ConsoleData"/>, and one Chromium, shared by the tests that only read.</summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private IPlaywright? _playwright;

    internal DaemonProcess Collector { get; private set; } = null!;

    internal IBrowser Browser { get; private set; } = null!;

    internal string Url => $"http://127.0.0.1:{Collector.ControlPort}/";

    public async Task InitializeAsync()
    {
        Collector = new DaemonProcess(_dir.Sub("data"));
        await Collector.StartAsync();
        await ConsoleData.SeedAsync(Collector);
        (_playwright, Browser) = await Support.Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright?.Dispose();
        await Collector.DisposeAsync();
        _dir.Dispose();
    }
}
