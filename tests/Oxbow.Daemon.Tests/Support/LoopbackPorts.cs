using System.Net;
using System.Net.Sockets;

namespace Oxbow.Daemon.Tests.Support;

/// <summary>
/// Hands out loopback ports for servers the tests start in other processes, reserved across every test process on the
/// machine for as long as this process lives.
/// </summary>
/// <remarks>
/// Asking the kernel for port 0 and passing the number on is racy in two ways, and CI hit the first: the number comes
/// from the ephemeral range, so any outgoing connection (the suite opens thousands) can take it as its local port before
/// the daemon binds it; and two test projects running at once can be handed the same number. So ports come from just
/// below the ephemeral range, where the kernel never assigns them, and each is claimed with an exclusive lock on a file
/// named after it. The lock is released by the kernel when this process exits, however it exits. A port is kept for the
/// whole run, so a test can restart a daemon on the same port.
/// </remarks>
internal static class LoopbackPorts
{
    private static readonly string LockDirectory = Path.Combine(Path.GetTempPath(), "oxbow-test-ports");
    private static readonly List<FileStream> Claims = [];
    private static readonly (int First, int End) Range = PortsBelowEphemeralRange();

    /// <summary>A port that nothing listens on (TCP or UDP) and no other caller of this method on the machine holds.</summary>
    public static int Reserve()
    {
        Directory.CreateDirectory(LockDirectory);
        var count = Range.End - Range.First;
        var start = Random.Shared.Next(count);
        lock (Claims)
        {
            for (var i = 0; i < count; i++)
            {
                var port = Range.First + ((start + i) % count);
                if (TryClaim(port) is { } claim)
                {
                    Claims.Add(claim);
                    return port;
                }
            }
        }

        throw new InvalidOperationException($"no free loopback port in {Range.First}–{Range.End - 1}");
    }

    private static FileStream? TryClaim(int port)
    {
        FileStream claim;
        try
        {
            // FileShare.None takes flock(LOCK_EX) on Unix: a second process, or a second open here, fails.
            claim = new FileStream(Path.Combine(LockDirectory, $"{port}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        if (IsFree(port, SocketType.Stream, ProtocolType.Tcp) && IsFree(port, SocketType.Dgram, ProtocolType.Udp))
        {
            return claim;
        }

        claim.Dispose();
        return null;
    }

    private static bool IsFree(int port, SocketType socketType, ProtocolType protocol)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, socketType, protocol);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static (int First, int End) PortsBelowEphemeralRange()
    {
        var ephemeralFirst = 32768;
        try
        {
            var text = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            ephemeralFirst = int.Parse(text[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
        }

        // 4,000 ports is far more than one run uses; staying above 20000 keeps clear of well-known services.
        var end = Math.Clamp(ephemeralFirst, 24000, 65536);
        return (end - 4000, end);
    }
}
