using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Oxbow.Syslog.Tests.Support;

namespace Oxbow.Syslog.Tests;

/// <summary>Syslog has no tokens: source networks and a type prefix bound what a sender may do; kernel drops are counted.</summary>
public sealed class SyslogPolicyTests
{
    private static async Task SendFromAsync(IPAddress source, int port, string message)
    {
        using var udp = new UdpClient(new IPEndPoint(source, 0));
        await udp.SendAsync(Encoding.UTF8.GetBytes(message), new IPEndPoint(IPAddress.Loopback, port));
    }

    [Fact]
    public async Task Only_allowed_networks_may_send_and_no_sender_can_write_a_type_outside_the_prefix()
    {
        using var dir = new TempDirectory();
        var port = DaemonProcess.FreePort();
        // 127.0.0.2 is a loopback address too, but not in the allowed network 127.0.0.1/32.
        await using var daemon = new DaemonProcess(dir.Sub("data"), "--syslog-udp", $"127.0.0.1:{port}", "--syslog-allow", "127.0.0.1/32", "--syslog-type-prefix", "net");
        await daemon.StartAsync();

        await SendFromAsync(IPAddress.Parse("127.0.0.2"), port, "<13>Nov 22 09:00:00 host app: @cee: {\"type\":\"billing\",\"n\":1}");
        await daemon.WaitForStatAsync(1, "counters", "syslog_unauthorized");
        await SendFromAsync(IPAddress.Loopback, port, "<13>Nov 22 09:00:00 host app: @cee: {\"type\":\"billing\",\"n\":2}");
        await SendFromAsync(IPAddress.Loopback, port, "<13>Nov 22 09:00:00 host app: @cee: {\"type\":\"net.fw\",\"n\":3}");
        await SendFromAsync(IPAddress.Loopback, port, "<13>Nov 22 09:00:00 host app: plain words");
        // Keys DuckDB could not read are repaired on this path too: an empty key, and two equal but for case.
        await SendFromAsync(IPAddress.Loopback, port, "<13>Nov 22 09:00:00 host app: @cee: {\"type\":\"keys\",\"\":1,\"Abc\":2,\"abc\":3}");

        var events = await StoredEvents.StoredAsync(daemon.DataDirectory, 4, () => daemon.Output);
        Assert.Equal(["net", "net.billing", "net.fw", "net.keys"], events.Select(e => e.GetProperty("type").GetString()).Order(StringComparer.Ordinal));
        var keys = events.Single(e => e.GetProperty("type").GetString() == "net.keys").GetProperty("body");
        Assert.Equal((1, 2, 3), (keys.GetProperty("_empty").GetInt32(), keys.GetProperty("Abc").GetInt32(), keys.GetProperty("abc_2").GetInt32()));
        Assert.DoesNotContain(events, e => e.GetProperty("body").TryGetProperty("n", out var n) && n.GetInt32() == 1);
        Assert.Equal(1, await daemon.StatAsync("counters", "syslog_unauthorized"));
    }

    [Fact]
    public async Task Datagrams_the_kernel_drops_from_a_full_receive_buffer_are_counted_in_syslog_dropped()
    {
        using var dir = new TempDirectory();
        var port = DaemonProcess.FreePort();
        await using var daemon = new DaemonProcess(dir.Sub("data"), "--syslog-udp", $"127.0.0.1:{port}", "--syslog-udp-buffer", "4096");
        await daemon.StartAsync();

        // A stopped daemon reads nothing: a 4 KiB buffer then holds a few datagrams and the kernel drops the rest.
        const int Sent = 500;
        using (var stop = Process.Start("kill", ["-STOP", daemon.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await stop.WaitForExitAsync();
        }

        try
        {
            using var udp = new UdpClient();
            udp.Connect(IPAddress.Loopback, port);
            var datagram = Encoding.ASCII.GetBytes("<13>Nov 22 09:00:00 host app: " + new string('x', 400));
            for (var i = 0; i < Sent; i++)
            {
                await udp.SendAsync(datagram);
            }
        }
        finally
        {
            using var resume = Process.Start("kill", ["-CONT", daemon.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await resume.WaitForExitAsync();
        }

        // Every datagram sent over loopback was either received or dropped by the kernel, and both are counted.
        await Eventually.TrueAsync(
            () => daemon.StatAsync("counters", "syslog_received").Result + daemon.StatAsync("counters", "syslog_kernel_dropped").Result == Sent,
            () => $"received {daemon.StatAsync("counters", "syslog_received").Result}, kernel dropped {daemon.StatAsync("counters", "syslog_kernel_dropped").Result}");
        var dropped = await daemon.StatAsync("counters", "syslog_kernel_dropped");
        Assert.True(dropped > 0);
        Assert.True(await daemon.StatAsync("counters", "syslog_dropped") >= dropped);
    }

    [Fact]
    public async Task A_receive_buffer_the_kernel_caps_is_warned_about_at_start_up_with_the_fix()
    {
        var cap = long.Parse((await File.ReadAllTextAsync("/proc/sys/net/core/rmem_max")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        using var dir = new TempDirectory();
        var asked = (cap * 2).ToString(System.Globalization.CultureInfo.InvariantCulture);
        // Without CAP_NET_ADMIN the daemon cannot pass net.core.rmem_max, as an unprivileged service cannot.
        await using var daemon = new DaemonProcess(dir.Sub("data"), "--syslog-udp", $"127.0.0.1:{DaemonProcess.FreePort()}", "--syslog-udp-buffer", asked)
        {
            Launcher = ["setpriv", "--bounding-set", "-net_admin", "--inh-caps", "-net_admin"],
        };
        await daemon.StartAsync();
        var warning = daemon.Output.Split('\n').Single(l => l.Contains("syslog_udp_buffer_capped", StringComparison.Ordinal));
        Assert.Contains($"asked={asked}", warning);
        Assert.Contains($"got={cap}", warning);
        Assert.Contains($"sysctl -w net.core.rmem_max={asked}", warning);
    }
}
