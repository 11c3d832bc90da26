using System.Net;
using System.Net.Sockets;

namespace Oxbow.Daemon.Syslog;

/// <summary>
/// Syslog over UDP (RFC 5426): one message per datagram. Datagrams that arrive while a batch is being made durable
/// wait in a large kernel buffer and go into the next batch. UDP cannot push back, so when the spool refuses a batch
/// its messages are dropped and counted, and so are the datagrams the kernel dropped because the buffer was full
/// (read from the kernel every second).
/// </summary>
internal sealed class SyslogUdpListener : IDisposable
{
    private const int MaxBatchMessages = 2000;
    private readonly Socket _socket;
    private readonly SyslogIntake _intake;

    private readonly UdpDrops _drops;
    private long _dropsSeen;

    /// <summary>Binds now, so a port in use stops the daemon at start-up rather than later.</summary>
    /// <param name="endpoint">Where to listen.</param>
    /// <param name="intake">Where messages go.</param>
    /// <param name="receiveBuffer">The kernel receive buffer asked for, in bytes.</param>
    public SyslogUdpListener(IPEndPoint endpoint, SyslogIntake intake, int receiveBuffer)
    {
        _intake = intake;
        _socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        SetReceiveBuffer(receiveBuffer);
        _socket.Bind(endpoint);
        _drops = new UdpDrops(_socket);
        _dropsSeen = _drops.Read() ?? 0;
    }

    /// <summary>
    /// Linux caps SO_RCVBUF at <c>net.core.rmem_max</c> without a word (and reports double what it keeps). A process
    /// with CAP_NET_ADMIN may pass the cap (SO_RCVBUFFORCE); otherwise a capped buffer is said at start-up, with the fix.
    /// </summary>
    private void SetReceiveBuffer(int bytes)
    {
        const int SolSocket = 1, SoRcvBufForce = 33;
        try
        {
            _socket.SetRawSocketOption(SolSocket, SoRcvBufForce, BitConverter.GetBytes(bytes));
        }
        catch (SocketException)
        {
            _socket.ReceiveBufferSize = bytes;
        }

        var kept = OperatingSystem.IsLinux() ? _socket.ReceiveBufferSize / 2 : _socket.ReceiveBufferSize;
        if (kept < bytes)
        {
            OxbowDaemonLog.Warning("syslog_udp_buffer_capped", "asked", bytes, "got", kept,
                "effect", $"bursts overflow sooner (drops are counted in syslog_dropped); raise the cap: sysctl -w net.core.rmem_max={bytes}");
        }
    }

    /// <summary>Adds the datagrams the kernel dropped since the last look to the drop counters.</summary>
    public void CountKernelDrops()
    {
        if (_drops.Read() is { } total && total > _dropsSeen)
        {
            _intake.KernelDropped(total - _dropsSeen);
            _dropsSeen = total;
        }
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    public async Task RunAsync(CancellationToken token)
    {
        var any = new IPEndPoint(_socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        var buffer = new byte[65536];
        var batch = new List<ReceivedMessage>();
        using var dropWatch = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var watching = WatchDropsAsync(dropWatch, token);
        while (!token.IsCancellationRequested)
        {
            SocketReceiveFromResult first;
            try
            {
                first = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (SocketException)
            {
                continue; // ICMP errors from earlier sends surface here on some platforms; nothing was received.
            }

            Add(batch, buffer, first.ReceivedBytes, first.RemoteEndPoint);
            while (batch.Count < MaxBatchMessages && _socket.Available > 0)
            {
                EndPoint from = any;
                int received;
                try
                {
                    received = _socket.ReceiveFrom(buffer, ref from);
                }
                catch (SocketException)
                {
                    break;
                }

                Add(batch, buffer, received, from);
            }

            await _intake.AcceptAsync(batch, waitWhenBusy: false, token).ConfigureAwait(false);
            batch.Clear();
        }

        await watching.ConfigureAwait(false);
        CountKernelDrops();
    }

    private async Task WatchDropsAsync(PeriodicTimer timer, CancellationToken token)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
            {
                CountKernelDrops();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Add(List<ReceivedMessage> batch, byte[] buffer, int length, EndPoint from)
    {
        var sender = (from as IPEndPoint)?.Address;
        if (_intake.Admits(sender))
        {
            batch.Add(new ReceivedMessage(buffer.AsSpan(0, length).ToArray(), sender));
        }
    }

    public void Dispose() => _socket.Dispose();
}
