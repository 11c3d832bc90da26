using System.Diagnostics;
using System.Net;
using Oxbow.Daemon.Tests.Support;

namespace Oxbow.Daemon.Tests;

/// <summary>A full disk is told to senders as disk_full, counted, and logged once per change, on a real (tmpfs) full disk.</summary>
public sealed class DiskFullTests
{
    private static async Task<int> RunAsync(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    [Fact]
    public async Task A_full_disk_refuses_batches_as_disk_full_with_one_log_line_and_accepts_again_once_space_is_freed()
    {
        using var dir = new TempDirectory();
        var data = dir.Sub("data");
        Directory.CreateDirectory(data);
        // A real full disk needs a small filesystem: a tmpfs, which needs root (CI runs as root).
        Assert.True(Environment.UserName == "root", "this test mounts a tmpfs and must run as root");
        Assert.Equal(0, await RunAsync("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", data));
        try
        {
            await using var collector = new DaemonProcess(data, "--compact-after", "off");
            await collector.StartAsync();
            var filler = Path.Combine(data, "filler");
            await using (var fill = File.Create(filler))
            {
                var block = new byte[1 << 20];
                try
                {
                    while (true)
                    {
                        fill.Write(block);
                        fill.Flush(flushToDisk: true);
                    }
                }
                catch (IOException)
                {
                    // Full.
                }
            }

            HttpStatusCode status = HttpStatusCode.OK;
            string body = "";
            for (var i = 0; i < 200 && status == HttpStatusCode.OK; i++)
            {
                using var response = await collector.Http.PostAsync("v1/events", new ByteArrayContent(StoredEvents.Events(i * 300, (i + 1) * 300)));
                (status, body) = (response.StatusCode, await response.Content.ReadAsStringAsync());
            }

            Assert.Equal(HttpStatusCode.InsufficientStorage, status);
            Assert.Contains("the collector's disk is full; the batch was not stored; retry later", body);
            for (var i = 0; i < 5; i++)
            {
                using var again = await collector.Http.PostAsync("v1/events", new ByteArrayContent(StoredEvents.Events(0, 300)));
                Assert.Equal(HttpStatusCode.InsufficientStorage, again.StatusCode);
            }

            Assert.True(await collector.StatAsync("rejects", "disk_full") >= 6);
            // The daemon's own log lines reach its console through its background writer: wait for them, not a moment.
            static bool IsDiskFullWarning(string l) => l.Contains("disk_full", StringComparison.Ordinal) && l.Contains("warning", StringComparison.Ordinal);
            await Eventually.TrueAsync(() => collector.Output.Split('\n').Any(IsDiskFullWarning), () => collector.Output);
            var output = collector.Output;
            Assert.Single(output.Split('\n'), IsDiskFullWarning);
            Assert.DoesNotContain("   at ", output, StringComparison.Ordinal); // no stack traces for a full disk

            File.Delete(filler);
            using (var after = await collector.Http.PostAsync("v1/events", new ByteArrayContent(StoredEvents.Events(0, 300))))
            {
                Assert.Equal(HttpStatusCode.OK, after.StatusCode);
            }

            await collector.WaitForOutputAsync("disk_space_available");
            Assert.Equal(0, await collector.TerminateAsync());
        }
        finally
        {
            await RunAsync("umount", "-l", data);
        }
    }
}
