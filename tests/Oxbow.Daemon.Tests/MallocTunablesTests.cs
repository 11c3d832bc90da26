using System.Runtime.InteropServices;
using Oxbow.Daemon.Tests.Support;

namespace Oxbow.Daemon.Tests;

public sealed class MallocTunablesTests
{
    private static bool IsGlibc =>
        OperatingSystem.IsLinux() && NativeLibrary.TryLoad("libc.so.6", out var libc) && NativeLibrary.TryGetExport(libc, "gnu_get_libc_version", out _);

    /// <summary>
    /// The process's GLIBC_TUNABLES as it was started. The dynamic loader parses the variable in place, ending each
    /// tunable with a NUL, so the tunables after the first appear in /proc as entries of their own.
    /// </summary>
    private static string? Tunables(int pid)
    {
        var entries = File.ReadAllText($"/proc/{pid}/environ").Split('\0');
        var at = Array.FindIndex(entries, v => v.StartsWith("GLIBC_TUNABLES=", StringComparison.Ordinal));
        return at < 0 ? null : string.Join(':', entries.Skip(at).TakeWhile((v, i) => i == 0 || v.StartsWith("glibc.", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Serve_replaces_itself_once_with_one_malloc_arena_on_huge_pages_and_keeps_its_process_id()
    {
        if (!IsGlibc)
        {
            return; // elsewhere serve starts as it is
        }

        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"));
        await collector.StartAsync();

        // The id the test started is the one answering, with the setting in its environment, and its log still
        // reaches the standard output the test reads.
        Assert.Equal("GLIBC_TUNABLES=glibc.malloc.arena_max=1:glibc.malloc.hugetlb=1", Tunables(collector.Pid));
        Assert.Contains("started", collector.Output);
        using var posted = await collector.Http.PostAsync("v1/events", new StringContent("{\"type\":\"arena\",\"n\":1}\n"));
        Assert.True(posted.IsSuccessStatusCode);
        await collector.WaitForRowsAsync("SELECT n FROM arena", 1);
    }

    [Fact]
    public async Task Serve_keeps_tunables_of_its_own_and_adds_only_the_settings_they_lack()
    {
        if (!IsGlibc)
        {
            return;
        }

        using var dir = new TempDirectory();
        await using var mine = new DaemonProcess(dir.Sub("a")) { Environment = new Dictionary<string, string> { ["GLIBC_TUNABLES"] = "glibc.malloc.arena_max=4" } };
        await mine.StartAsync();
        Assert.Equal("GLIBC_TUNABLES=glibc.malloc.arena_max=4:glibc.malloc.hugetlb=1", Tunables(mine.Pid));

        await using var other = new DaemonProcess(dir.Sub("b")) { Environment = new Dictionary<string, string> { ["GLIBC_TUNABLES"] = "glibc.malloc.tcache_count=8" } };
        await other.StartAsync();
        Assert.Equal("GLIBC_TUNABLES=glibc.malloc.tcache_count=8:glibc.malloc.arena_max=1:glibc.malloc.hugetlb=1", Tunables(other.Pid));
    }
}
