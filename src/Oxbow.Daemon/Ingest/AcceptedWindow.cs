using System.Globalization;
using System.Text;
using Oxbow.Store.Events;
using Oxbow.Transport;

namespace Oxbow.Daemon.Ingest;

/// <summary>
/// How far from the collector's clock an event's <c>end</c> may be. Each event chooses its own store partition
/// (type, day, hour), so a clock years off, or a bug, would scatter events over hours nobody queries. Events outside
/// the window are refused with the batch, with a reason naming the line and the setting, and counted
/// (<c>events_outside_window</c>); the sender sees a non-retryable REJECT. A backfill of old logs is inside the
/// default window: the past is open unless <see cref="Past"/> is set.
/// </summary>
/// <param name="Past">How old an event may be; null: any age (from 1970).</param>
/// <param name="Future">How far ahead an event may be; null: any time up to 9999.</param>
internal readonly record struct AcceptedWindow(TimeSpan? Past, TimeSpan? Future)
{
    /// <summary>No bounds beyond the valid dates.</summary>
    public static AcceptedWindow Open => new(null, null);

    /// <summary>Whether every event is inside.</summary>
    public bool IsOpen => Past is null && Future is null;

    /// <summary>Checks validated (canonical) lines.</summary>
    /// <exception cref="ProtocolException"><see cref="RejectReason.InvalidEvent"/> for the first event outside, naming its line.</exception>
    public void Check(ReadOnlySpan<byte> lines, DateTime arrivalUtc)
    {
        if (IsOpen)
        {
            return;
        }

        // Canonical timestamps are fixed-width ISO-8601, so they compare as bytes.
        Span<byte> earliest = stackalloc byte[27];
        Span<byte> latest = stackalloc byte[27];
        var hasEarliest = Past is { } past && Bound(arrivalUtc, -past, earliest);
        var hasLatest = Future is { } future && Bound(arrivalUtc, future, latest);
        var lineNumber = 0;
        while (!lines.IsEmpty)
        {
            lineNumber++;
            var newline = lines.IndexOf((byte)'\n');
            var line = newline < 0 ? lines : lines[..newline];
            lines = newline < 0 ? default : lines[(newline + 1)..];
            if (!CanonicalLine.TryLocate(line, out var canonical))
            {
                continue;
            }

            if (hasEarliest && canonical.End.SequenceCompareTo(earliest) < 0)
            {
                throw Outside(lineNumber, canonical.End, $"more than {Describe(Past!.Value)} before the collector's clock (accept-past)");
            }

            if (hasLatest && canonical.End.SequenceCompareTo(latest) > 0)
            {
                throw Outside(lineNumber, canonical.End, $"more than {Describe(Future!.Value)} ahead of the collector's clock (accept-future)");
            }
        }
    }

    private static bool Bound(DateTime arrival, TimeSpan offset, Span<byte> bound)
    {
        var ticks = arrival.Ticks + offset.Ticks;
        if (ticks <= DateTime.MinValue.Ticks || ticks >= DateTime.MaxValue.Ticks)
        {
            return false;
        }

        Encoding.ASCII.GetBytes(Timestamps.Format(new DateTime(ticks, DateTimeKind.Utc)), bound);
        return true;
    }

    private static ProtocolException Outside(int lineNumber, ReadOnlySpan<byte> end, string problem) =>
        EventLines.Invalid(lineNumber, $"end {Encoding.ASCII.GetString(end)} is {problem}");

    private static string Describe(TimeSpan span) => span.TotalDays >= 1 && span.TotalDays == Math.Floor(span.TotalDays)
        ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalDays:0} day(s)")
        : string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0} s");
}
