using System.Net.Sockets;
using System.Text;
using Oxbow.Daemon.Tests.Support;

namespace Oxbow.Daemon.Tests;

/// <summary>
/// <c>oxbow serve</c> under systemd: the notify protocol over a real <c>NOTIFY_SOCKET</c> datagram socket, as systemd
/// creates it for a <c>Type=notify</c> unit, and journald's line format when <c>JOURNAL_STREAM</c> is set.
/// </summary>
public sealed class SystemdTests
{
    [Fact]
    public async Task The_daemon_says_READY_once_its_listeners_answer_and_STOPPING_when_shutdown_begins()
    {
        using var dir = new TempDirectory();
        var socketPath = dir.Sub("notify.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));
        await using var daemon = new DaemonProcess(dir.Sub("data"))
        {
            Environment = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = socketPath },
        };

        var startup = daemon.StartAsync();
        var ready = await ReceiveAsync(socket, daemon);
        await startup;
        Assert.Equal(
            $"READY=1\nSTATUS=collector: ingest {daemon.Ingest}, control 127.0.0.1:{daemon.ControlPort}\nMAINPID={daemon.Pid}",
            ready);

        // READY came after binding: the ports answer now, without waiting.
        using (var response = await daemon.Http.GetAsync("healthz"))
        {
            Assert.True(response.IsSuccessStatusCode);
        }

        using (var ingest = new TcpClient())
        {
            await ingest.ConnectAsync("127.0.0.1", daemon.IngestPort);
        }

        var exit = daemon.TerminateAsync();
        Assert.Equal("STOPPING=1\nSTATUS=stopping", await ReceiveAsync(socket, daemon));
        Assert.Equal(0, await exit);
    }

    [Fact]
    public async Task Under_journald_each_line_carries_its_priority_and_no_timestamp_or_colour()
    {
        using var dir = new TempDirectory();
        await using var daemon = new DaemonProcess(dir.Sub("data"))
        {
            Environment = new Dictionary<string, string> { ["JOURNAL_STREAM"] = "8:12345" },
        };
        await daemon.StartAsync();
        await Eventually.TrueAsync(() => daemon.Output.Contains("no_token_file", StringComparison.Ordinal), () => daemon.Output);

        var lines = daemon.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var started = Assert.Single(lines, line => line.Contains(" started ", StringComparison.Ordinal) || line.Contains("] started", StringComparison.Ordinal));
        Assert.StartsWith("<6>[info    ] started", started, StringComparison.Ordinal);
        var warning = Assert.Single(lines, line => line.Contains("no_token_file", StringComparison.Ordinal));
        Assert.StartsWith("<4>[warning ] no_token_file", warning, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', daemon.Output);
    }

    private static async Task<string> ReceiveAsync(Socket socket, DaemonProcess daemon)
    {
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            var received = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            return Encoding.UTF8.GetString(buffer, 0, received);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("no notification from the daemon:\n" + daemon.Output);
        }
    }
}
