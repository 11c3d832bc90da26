using System.Net;
using System.Net.Sockets;

namespace Oxbow.Daemon.Syslog;

/// <summary>
/// Syslog over UDP (RFC 5426): one message per datagram. Datagrams that arrive while a batch is being made durable
/// wait in a large kernel buffer and go into the next batch. UDP cannot push back, so when the spool refuses a batch
/// its messages are dropped and counted.
/// </summary>
internal sealed class SyslogUdpListener : IDisposable
{
    private const int MaxBatchMessages = 2000;
    private readonly Socket _socket;
    private readonly SyslogIntake _intake;

    /// <summary>Binds now, so a port in use stops the daemon at start-up rather than later.</summary>
    public SyslogUdpListener(IPEndPoint endpoint, SyslogIntake intake)
    {
        _intake = intake;
        _socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 8 << 20 };
        _socket.Bind(endpoint);
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    public async Task RunAsync(CancellationToken token)
    {
        var any = new IPEndPoint(_socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        var buffer = new byte[65536];
        var batch = new List<ReceivedMessage>();
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
