using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Connections;
using Oxbow.Daemon.Connections;

namespace Oxbow.Daemon.Syslog;

/// <summary>
/// Syslog over TCP, hosted by Kestrel, with both framings of RFC 6587, chosen per message: octet counting
/// (<c>LENGTH SP MESSAGE</c>, what RFC 5425 and rsyslog's <c>omfwd</c> with <c>TCP_Framing="octet-counted"</c> use)
/// when a message starts with a digit, otherwise a line ended by LF (what most senders do). A message over the size
/// limit is skipped and counted, and the stream stays in step. A full spool stops this connection's reads until there
/// is room again, which pushes back on the sender.
/// </summary>
internal sealed class SyslogTcpHandler(SyslogIntake intake, ConnectionLimits limits) : ConnectionHandler
{
    private readonly ConnectionLimits.Listener _listener = limits.NewListener();

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var sender = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        if (!intake.Admits(sender) || !_listener.TryEnter())
        {
            return;
        }

        var held = new StrongBox<long>();
        try
        {
            await ServeAsync(connection, sender, held).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A message trickling in slower than the frame timeout: the connection ends (counted by the limits).
        }
        finally
        {
            limits.TryHold(ref held.Value, 0);
            _listener.Exit();
        }
    }

    /// <param name="connection">The connection.</param>
    /// <param name="sender">Its address.</param>
    /// <param name="held">Bytes of a partial message it holds, in the shared budget.</param>
    private async Task ServeAsync(ConnectionContext connection, IPAddress? sender, StrongBox<long> held)
    {

        var input = connection.Transport.Input;
        var max = intake.MaxMessageBytes;
        long skip = 0; // bytes of an oversized message still to discard
        var skipToNewline = false;
        var batch = new List<ReceivedMessage>();
        long? messageStarted = null;
        while (true)
        {
            if (await limits.ReadAsync(input, messageStarted).ConfigureAwait(false) is not { } result)
            {
                return;
            }

            var buffer = result.Buffer;
            var before = buffer.Length;
            while (true)
            {
                if (skip > 0)
                {
                    var n = Math.Min(skip, buffer.Length);
                    buffer = buffer.Slice(n);
                    skip -= n;
                    if (skip > 0)
                    {
                        break;
                    }
                }

                if (skipToNewline)
                {
                    var lf = buffer.PositionOf((byte)'\n');
                    if (lf is null)
                    {
                        buffer = buffer.Slice(buffer.End);
                        break;
                    }

                    buffer = buffer.Slice(buffer.GetPosition(1, lf.Value));
                    skipToNewline = false;
                }

                if (buffer.IsEmpty)
                {
                    break;
                }

                var first = buffer.FirstSpan[0];
                if (first is (byte)'\n' or (byte)'\r' or 0)
                {
                    buffer = buffer.Slice(1);
                    continue;
                }

                if (first is >= (byte)'0' and <= (byte)'9')
                {
                    var reader = new SequenceReader<byte>(buffer);
                    if (!reader.TryReadTo(out ReadOnlySequence<byte> digits, (byte)' '))
                    {
                        if (buffer.Length > 10)
                        {
                            intake.Malformed();
                            return;
                        }

                        break;
                    }

                    if (digits.Length > 10 || !long.TryParse(System.Text.Encoding.ASCII.GetString(digits.ToArray()), out var length) || length <= 0)
                    {
                        // The stream is out of step and cannot be resynchronised: end this connection (counted).
                        intake.Malformed();
                        return;
                    }

                    var rest = buffer.Slice(reader.Position);
                    if (length > max)
                    {
                        intake.Oversized();
                        buffer = rest;
                        skip = length;
                        continue;
                    }

                    if (rest.Length < length)
                    {
                        break;
                    }

                    batch.Add(new ReceivedMessage(rest.Slice(0, length).ToArray(), sender));
                    buffer = rest.Slice(length);
                }
                else
                {
                    var lf = buffer.PositionOf((byte)'\n');
                    if (lf is null)
                    {
                        if (buffer.Length > max)
                        {
                            intake.Oversized();
                            skipToNewline = true;
                            buffer = buffer.Slice(buffer.End);
                        }
                        else if (result.IsCompleted)
                        {
                            // The last line of a stream may lack its LF.
                            batch.Add(new ReceivedMessage(buffer.ToArray(), sender));
                            buffer = buffer.Slice(buffer.End);
                        }

                        break;
                    }

                    var line = buffer.Slice(0, lf.Value);
                    if (line.Length > max)
                    {
                        intake.Oversized();
                    }
                    else
                    {
                        batch.Add(new ReceivedMessage(line.ToArray(), sender));
                    }

                    buffer = buffer.Slice(buffer.GetPosition(1, lf.Value));
                }
            }

            if (batch.Count > 0)
            {
                await intake.AcceptAsync(batch, waitWhenBusy: true, connection.ConnectionClosed).ConfigureAwait(false);
                batch.Clear();
            }

            // A partial message left over: its clock starts when it began, and its bytes count in the shared budget.
            messageStarted = buffer.IsEmpty ? null : buffer.Length < before ? Environment.TickCount64 : messageStarted ?? Environment.TickCount64;
            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || !limits.TryHold(ref held.Value, buffer.Length))
            {
                return;
            }
        }
    }
}
