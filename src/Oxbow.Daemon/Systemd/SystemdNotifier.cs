using System.Net.Sockets;
using System.Text;

namespace Oxbow.Daemon.Systemd;

/// <summary>
/// Tells systemd the daemon's state through <c>$NOTIFY_SOCKET</c>, as <c>sd_notify(3)</c> does, for units with
/// <c>Type=notify</c>: <c>READY=1</c> once every listener is bound and recovery is done, <c>STOPPING=1</c> when shutdown
/// begins, and <c>WATCHDOG=1</c> at half of <c>$WATCHDOG_USEC</c> when the unit sets <c>WatchdogSec=</c>.
/// </summary>
/// <remarks>
/// Error contract: never throws. Without <c>NOTIFY_SOCKET</c> every call does nothing; a send that fails is logged
/// once (<c>systemd_notify_failed</c>) and ignored, because a daemon must not stop over its supervisor's mailbox.
/// </remarks>
internal sealed class SystemdNotifier : IDisposable
{
    private readonly Socket _socket;
    private readonly UnixDomainSocketEndPoint _endpoint;
    private readonly Timer? _watchdog;
    private int _failed;

    private SystemdNotifier(string address, TimeSpan? watchdog)
    {
        // "@name" is Linux's abstract namespace, written with a leading NUL on the wire.
        _endpoint = new UnixDomainSocketEndPoint(address[0] == '@' ? "\0" + address[1..] : address);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        if (watchdog is { } interval)
        {
            _watchdog = new Timer(_ => Notify("WATCHDOG=1"), null, TimeSpan.Zero, interval / 2);
        }
    }

    /// <summary>A notifier for <c>$NOTIFY_SOCKET</c>, or null when the daemon does not run under systemd's notify protocol.</summary>
    public static SystemdNotifier? FromEnvironment(Func<string, string?> environment)
    {
        if (environment("NOTIFY_SOCKET") is not { Length: > 1 } address || (address[0] != '/' && address[0] != '@'))
        {
            return null;
        }

        TimeSpan? watchdog = null;
        if (long.TryParse(environment("WATCHDOG_USEC"), out var usec) && usec > 0 &&
            (environment("WATCHDOG_PID") is not { Length: > 0 } pid || pid == Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        {
            watchdog = TimeSpan.FromTicks(usec * 10);
        }

        try
        {
            return new SystemdNotifier(address, watchdog);
        }
        catch (Exception ex) when (ex is SocketException or ArgumentException)
        {
            OxbowDaemonLog.Warning("systemd_notify_failed", "socket", address, "reason", ex.Message);
            return null;
        }
    }

    /// <summary>Sends one state message (lines of <c>KEY=value</c>); false when it could not be sent.</summary>
    public bool Notify(string state)
    {
        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(state), _endpoint);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            if (Interlocked.Exchange(ref _failed, 1) == 0)
            {
                OxbowDaemonLog.Warning("systemd_notify_failed", "socket", _endpoint.ToString(), "reason", ex.Message);
            }

            return false;
        }
    }

    public void Dispose()
    {
        _watchdog?.Dispose();
        _socket.Dispose();
    }
}
