using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using Oxbow.Codec;
using Oxbow.Transport;

namespace Oxbow.Sinks.Syslog;

/// <summary>Counters of a <see cref="SyslogSink"/>.</summary>
/// <param name="Sent">Messages handed to the network.</param>
/// <param name="Dropped">Events not sent: the receiver was unreachable, a write failed, or the line was not an event.</param>
/// <param name="Truncated">Messages that lost body fields (or text) to fit <see cref="SyslogSinkOptions.MaxDatagramBytes"/>.</param>
public sealed record SyslogSinkStats(long Sent, long Dropped, long Truncated);

/// <summary>
/// Sends events to a syslog receiver (rsyslog, syslog-ng, an Oxbow collector) as RFC 5424 or RFC 3164 messages with
/// a CEE payload, over UDP, TCP or TLS. Syslog has no acknowledgements, so this sink is fire-and-forget: use
/// <see cref="NetworkSink"/> where every event must arrive.
/// </summary>
/// <remarks>
/// It runs on Oxbow's writer thread and never throws. When the receiver cannot be reached or a write fails, the
/// batch is dropped and counted, and the sink does not try to connect again for <see cref="SyslogSinkOptions.RetryAfter"/>,
/// so a dead receiver costs one connect timeout per interval rather than one per batch.
/// </remarks>
public sealed class SyslogSink : IEventSink, IDisposable
{
    private readonly SyslogSinkOptions _options;
    private readonly SyslogFormatter _formatter;
    private readonly Utf8EventWriter _message = new(2048);
    private readonly ArrayBufferWriter<byte> _frames = new(64 * 1024);
    private Socket? _udp;
    private TcpClient? _tcp;
    private Stream? _stream;
    private long _retryAtTicks;
    private long _sent;
    private long _dropped;
    private long _truncated;

    /// <summary>Creates the sink; it connects on the first batch.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public SyslogSink(SyslogSinkOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.EffectiveMaxDatagramBytes, 480, nameof(options.MaxDatagramBytes)); // RFC 5426's minimum
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.EffectiveMaxDatagramBytes, 65507, nameof(options.MaxDatagramBytes)); // the largest IPv4 UDP payload
        _options = options;
        _formatter = new SyslogFormatter(options);
    }

    /// <summary>Counters so far.</summary>
    public SyslogSinkStats Stats => new(Interlocked.Read(ref _sent), Interlocked.Read(ref _dropped), Interlocked.Read(ref _truncated));

    /// <inheritdoc />
    public void Emit(in EventBatch batch)
    {
        if (Environment.TickCount64 < Interlocked.Read(ref _retryAtTicks))
        {
            Interlocked.Add(ref _dropped, batch.Count);
            Pipeline.SinkFailures.Report($"syslog {_options.Host}:{_options.Port}", "receiver unreachable; waiting to reconnect", batch.Count);
            return;
        }

        try
        {
            if (_options.Transport == SyslogTransport.Udp)
            {
                SendDatagrams(batch);
            }
            else
            {
                SendFramed(batch);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or AggregateException or System.Security.Authentication.AuthenticationException)
        {
            Pipeline.SinkFailures.Report($"syslog {_options.Host}:{_options.Port}", $"{ex.GetBaseException().Message}; dropping events for {_options.RetryAfter.TotalSeconds:0.#} s", batch.Count);
            Disconnect();
            Interlocked.Exchange(ref _retryAtTicks, Environment.TickCount64 + (long)_options.RetryAfter.TotalMilliseconds);
        }
    }

    private void SendDatagrams(in EventBatch batch)
    {
        if (_udp is null)
        {
            var socket = new Socket(SocketType.Dgram, ProtocolType.Udp);
            try
            {
                socket.Connect(_options.Host, _options.Port);
            }
            catch
            {
                socket.Dispose();
                Interlocked.Add(ref _dropped, batch.Count);
                throw;
            }

            _udp = socket;
        }

        foreach (var line in batch)
        {
            if (Format(line, _options.EffectiveMaxDatagramBytes))
            {
                // A refused datagram (ICMP port unreachable) surfaces on a later send: count it and carry on.
                try
                {
                    _udp.Send(_message.WrittenSpan);
                    Interlocked.Increment(ref _sent);
                }
                catch (SocketException)
                {
                    Interlocked.Increment(ref _dropped);
                }
            }
        }
    }

    private void SendFramed(in EventBatch batch)
    {
        if (_stream is null)
        {
            TcpClient client;
            Stream stream;
            try
            {
                (client, stream) = TcpConnect.OpenAsync(_options.Host, _options.Port, _options.Transport == SyslogTransport.Tls,
                    _options.TrustedCertificate, _options.TlsServerName, _options.ConnectTimeout, CancellationToken.None).GetAwaiter().GetResult();
            }
            catch
            {
                Interlocked.Add(ref _dropped, batch.Count);
                throw;
            }

            // A receiver that stops reading must not hold the writer thread for ever.
            client.Client.SendTimeout = (int)_options.ConnectTimeout.TotalMilliseconds;
            (_tcp, _stream) = (client, stream);
        }

        _frames.ResetWrittenCount();
        var count = 0;
        foreach (var line in batch)
        {
            if (Format(line, int.MaxValue))
            {
                // RFC 6587 octet counting: the length in decimal, a space, then exactly that many bytes.
                var length = _message.Length.ToString(CultureInfo.InvariantCulture);
                var span = _frames.GetSpan(length.Length + 1 + _message.Length);
                for (var i = 0; i < length.Length; i++)
                {
                    span[i] = (byte)length[i];
                }

                span[length.Length] = (byte)' ';
                _message.WrittenSpan.CopyTo(span[(length.Length + 1)..]);
                _frames.Advance(length.Length + 1 + _message.Length);
                count++;
            }
        }

        try
        {
            _stream.Write(_frames.WrittenSpan);
            _stream.Flush();
            Interlocked.Add(ref _sent, count);
        }
        catch
        {
            Interlocked.Add(ref _dropped, count);
            throw;
        }
    }

    /// <summary>Formats one canonical line into <see cref="_message"/>; false (and counted) when it is not an event.</summary>
    private bool Format(ReadOnlySpan<byte> line, int maxBytes)
    {
        OxbowEvent e;
        try
        {
            e = CanonicalJson.Parse(line);
        }
        catch (FormatException)
        {
            Interlocked.Increment(ref _dropped);
            return false;
        }

        _message.Reset();
        if (_formatter.Write(_message, e, maxBytes))
        {
            Interlocked.Increment(ref _truncated);
        }

        return true;
    }

    private void Disconnect()
    {
        _stream?.Dispose();
        _tcp?.Dispose();
        _udp?.Dispose();
        (_stream, _tcp, _udp) = (null, null, null);
    }

    /// <summary>Closes the connection.</summary>
    public void Dispose() => Disconnect();
}
