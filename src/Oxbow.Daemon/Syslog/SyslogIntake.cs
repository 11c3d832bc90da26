using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Unicode;
using Oxbow.Daemon.Auth;
using Oxbow.Daemon.Ingest;
using Oxbow.Daemon.Stats;
using Oxbow.Transport;

namespace Oxbow.Daemon.Syslog;

/// <summary>One received syslog message and who sent it.</summary>
internal readonly record struct ReceivedMessage(ReadOnlyMemory<byte> Bytes, IPAddress? Sender);

/// <summary>
/// What the syslog listeners share: decode, parse and convert messages, then hand them to the ingest pipeline as one
/// batch. A message that cannot be used is counted by reason and dropped alone; the rest of its batch goes on.
/// </summary>
internal sealed class SyslogIntake(IngestPipeline pipeline, SyslogPolicy policy, int maxEventBytes, TimeProvider time)
{
    // Scopes are the policy's type prefix instead, applied as each event is made.
    private static readonly TokenGrant SyslogGrant = new("syslog", true, ["*"]);

    // How long a TCP sender is held back before the spool is asked again.
    private static readonly TimeSpan BusyRetry = TimeSpan.FromMilliseconds(100);

    private long _malformedSeen;

    private DaemonStats Stats => pipeline.Stats;

    /// <summary>Whether a sender may use the syslog inputs: only from the allowed networks (loopback by default).</summary>
    public bool Admits(IPAddress? sender)
    {
        if (policy.Admits(sender))
        {
            return true;
        }

        Stats.Count(DaemonCounters.SyslogUnauthorized);
        return false;
    }

    /// <summary>Counts datagrams the kernel dropped before the daemon could read them (a full receive buffer).</summary>
    public void KernelDropped(long count)
    {
        Stats.Count(DaemonCounters.SyslogDropped, count);
        Stats.Count(DaemonCounters.SyslogKernelDropped, count);
    }

    /// <summary>
    /// Stores the usable messages. When the spool refuses them for now (full or failing), <paramref name="waitWhenBusy"/>
    /// retries until it takes them or <paramref name="token"/> ends (TCP: the sender is held back); otherwise they are
    /// dropped and counted (UDP cannot push back).
    /// </summary>
    public async Task AcceptAsync(IReadOnlyList<ReceivedMessage> messages, bool waitWhenBusy, CancellationToken token)
    {
        Stats.Count(DaemonCounters.SyslogReceived, messages.Count);
        var arrival = time.GetUtcNow().UtcDateTime;
        var lines = new List<ReadOnlyMemory<byte>>(messages.Count);
        foreach (var message in messages)
        {
            if (Convert(message, arrival) is { } line)
            {
                lines.Add(line);
            }
        }

        if (lines.Count == 0)
        {
            return;
        }

        var data = Join(lines);
        while (!await StoreAsync(data, lines, dropWhenBusy: !waitWhenBusy).ConfigureAwait(false))
        {
            try
            {
                await Task.Delay(BusyRetry, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Stats.Count(DaemonCounters.SyslogDropped, lines.Count);
                return;
            }
        }
    }

    /// <summary>False when the spool refused the batch for now and <paramref name="dropWhenBusy"/> is false.</summary>
    private async Task<bool> StoreAsync(ReadOnlyMemory<byte> data, List<ReadOnlyMemory<byte>> lines, bool dropWhenBusy)
    {
        try
        {
            await pipeline.AcceptAsync(BatchId.New(), data, SyslogGrant).ConfigureAwait(false);
            Stats.Count(DaemonCounters.SyslogAccepted, lines.Count);
            return true;
        }
        catch (ProtocolException ex) when (ex.Reason == RejectReason.InvalidEvent && lines.Count > 1)
        {
            // One line the pipeline refused must not take the others with it: store them one by one.
            foreach (var line in lines)
            {
                try
                {
                    await pipeline.AcceptAsync(BatchId.New(), line, SyslogGrant).ConfigureAwait(false);
                    Stats.Count(DaemonCounters.SyslogAccepted);
                }
                catch (ProtocolException one) when (one.Reason == RejectReason.InvalidEvent)
                {
                    Stats.Count(DaemonCounters.SyslogMalformed);
                }
            }

            return true;
        }
        catch (ProtocolException ex) when (ex.Reason == RejectReason.InvalidEvent)
        {
            Stats.Count(DaemonCounters.SyslogMalformed);
            return true;
        }
        catch (ProtocolException) when (dropWhenBusy)
        {
            Stats.Count(DaemonCounters.SyslogDropped, lines.Count);
            return true;
        }
        catch (ProtocolException)
        {
            return false;
        }
    }

    /// <summary>Counts a message over the size limit that a listener had to discard unread.</summary>
    public void Oversized() => Stats.Count(DaemonCounters.SyslogOversized);

    /// <summary>Counts a message whose framing was broken.</summary>
    public void Malformed() => Stats.Count(DaemonCounters.SyslogMalformed);

    public int MaxMessageBytes => maxEventBytes;

    private ReadOnlyMemory<byte>? Convert(ReceivedMessage message, DateTime arrival)
    {
        var bytes = message.Bytes.Span;
        if (bytes.Length > maxEventBytes)
        {
            Oversized();
            return null;
        }

        if (!Utf8.IsValid(bytes))
        {
            // Syslog allows any bytes in MSG; keep the message with U+FFFD in place of what is not UTF-8.
            Stats.Count(DaemonCounters.SyslogRepairedUtf8);
        }

        SyslogMessage parsed;
        try
        {
            parsed = SyslogParser.Parse(Encoding.UTF8.GetString(bytes), arrival, TimeZoneInfo.Local);
        }
        catch (FormatException ex)
        {
            Stats.Count(DaemonCounters.SyslogMalformed);
            // The first one and every 1000th after it: a flood of bad datagrams must not become a flood of log lines.
            if (Interlocked.Increment(ref _malformedSeen) % 1000 == 1)
            {
                OxbowDaemonLog.Warning("syslog_malformed", "sender", message.Sender?.ToString() ?? "-", "problem", ex.Message);
            }

            return null;
        }

        var output = new ArrayBufferWriter<byte>(bytes.Length + 256);
        SyslogEvents.Write(parsed, policy, message.Sender?.ToString() ?? "", arrival, output);
        return output.WrittenMemory;
    }

    private static ReadOnlyMemory<byte> Join(List<ReadOnlyMemory<byte>> lines)
    {
        if (lines.Count == 1)
        {
            return lines[0];
        }

        var joined = new byte[lines.Sum(l => l.Length)];
        var offset = 0;
        foreach (var line in lines)
        {
            line.Span.CopyTo(joined.AsSpan(offset));
            offset += line.Length;
        }

        return joined;
    }
}
