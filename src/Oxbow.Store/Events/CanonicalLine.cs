using System.Buffers;

namespace Oxbow.Store.Events;

/// <summary>
/// Reads the fixed-position head of a canonical event line without a JSON parser:
/// <c>{"id":"&lt;32 hex&gt;","type":"&lt;type&gt;","start":"&lt;ts&gt;","end":"&lt;ts&gt;"</c>. Canonical lines are what
/// Oxbow's clients send and what the spool and store hold, so the hot paths (partitioning, stats, tail filters)
/// find the type and time by offset.
/// </summary>
internal readonly ref struct CanonicalLine
{
    private const int IdStart = 7;
    private const int TypeStart = IdStart + 32 + 10;
    private const int TimestampLength = 27;

    private CanonicalLine(ReadOnlySpan<byte> line, int typeLength)
    {
        Line = line;
        Type = line.Slice(TypeStart, typeLength);
        var endStart = TypeStart + typeLength + 11 + TimestampLength + 9;
        End = line.Slice(endStart, TimestampLength);
        Rest = line[(endStart + TimestampLength + 1)..];
    }

    public ReadOnlySpan<byte> Line { get; }

    public ReadOnlySpan<byte> Id => Line.Slice(IdStart, 32);

    /// <summary>The type name, already checked against the naming rules.</summary>
    public ReadOnlySpan<byte> Type { get; }

    /// <summary>The <c>end</c> timestamp, <c>YYYY-MM-DDTHH:MM:SS.ffffffZ</c>, already checked.</summary>
    public ReadOnlySpan<byte> End { get; }

    /// <summary><c>YYYY-MM-DD</c>.</summary>
    public ReadOnlySpan<byte> Day => End[..10];

    /// <summary><c>HH</c>.</summary>
    public ReadOnlySpan<byte> Hour => End.Slice(11, 2);

    /// <summary><c>YYYY-MM-DDTHH</c>: the day and hour that choose the store partition.</summary>
    public ReadOnlySpan<byte> DayAndHour => End[..13];

    /// <summary>Everything after the <c>end</c> field.</summary>
    public ReadOnlySpan<byte> Rest { get; }

    /// <summary>The <c>host</c> value, when the line has one in canonical position (after <c>level</c>).</summary>
    public ReadOnlySpan<byte> Host
    {
        get
        {
            var at = Rest.IndexOf(",\"host\":\""u8);
            if (at < 0)
            {
                return default;
            }

            var value = Rest[(at + 9)..];
            var close = value.IndexOfAny((byte)'"', (byte)'\\');
            return close < 0 ? default : value[..close];
        }
    }

    public long EndTicks => ParseTicks(End);

    /// <summary>Finds the fields by position (<see cref="TryLocate"/>), then checks every one of them.</summary>
    public static bool TryParse(ReadOnlySpan<byte> line, out CanonicalLine canonical)
    {
        if (!TryLocate(line, out canonical))
        {
            return false;
        }

        var at = TypeStart + canonical.Type.Length;
        if (line.StartsWith("{\"id\":\""u8)
            && IsLowerHex(canonical.Id)
            && line[(IdStart + 32)..].StartsWith("\",\"type\":\""u8)
            && IsValidType(canonical.Type)
            && line[at..].StartsWith("\",\"start\":\""u8)
            && IsTimestamp(line.Slice(at + 11, TimestampLength))
            && line[(at + 11 + TimestampLength)..].StartsWith("\",\"end\":\""u8)
            && IsTimestamp(canonical.End)
            && line[at + 11 + TimestampLength + 9 + TimestampLength] == (byte)'"')
        {
            return true;
        }

        canonical = default;
        return false;
    }

    /// <summary>
    /// Finds the fields of a line by position only, without checking them: for lines that <see cref="TryParse"/>
    /// already accepted at ingest, whose later passes (counting, storing) need the type, host and time of every event,
    /// not a second check of every byte.
    /// </summary>
    public static bool TryLocate(ReadOnlySpan<byte> line, out CanonicalLine canonical)
    {
        canonical = default;
        if (line.Length < TypeStart + 1 + 11 + TimestampLength + 9 + TimestampLength + 1)
        {
            return false;
        }

        var typeLength = line[TypeStart..].IndexOf((byte)'"');
        if (typeLength <= 0 || line.Length < TypeStart + typeLength + 11 + TimestampLength + 9 + TimestampLength + 1)
        {
            return false;
        }

        canonical = new CanonicalLine(line, typeLength);
        return true;
    }

    /// <summary>The type-name rules of docs/event-format.md on UTF-8: <c>[a-z0-9_-]</c> segments joined by dots.</summary>
    public static bool IsValidType(ReadOnlySpan<byte> type) =>
        !type.IsEmpty && type.Length <= Oxbow.EventType.MaxLength && type[0] != '.' && type[^1] != '.'
        && !type.ContainsAnyExcept(TypeBytes) && type.IndexOf(".."u8) < 0;

    /// <summary>
    /// <c>YYYY-MM-DDTHH:MM:SS.ffffffZ</c> naming a real calendar date from 1970 to 9999 (so <c>2026-02-31</c> and
    /// <c>0000-01-01</c> are refused, as the JSON path refuses them), which makes day and hour safe path segments
    /// that the layout reader, queries and compaction all see. A leap second (<c>:60</c>) is allowed.
    /// </summary>
    public static bool IsTimestamp(ReadOnlySpan<byte> t)
    {
        if (t.Length != TimestampLength || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':' || t[19] != '.' || t[26] != 'Z')
        {
            return false;
        }

        ReadOnlySpan<int> digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22, 23, 24, 25];
        foreach (var i in digits)
        {
            if ((uint)(t[i] - '0') > 9)
            {
                return false;
            }
        }

        var year = (Two(t, 0) * 100) + Two(t, 2);
        var month = Two(t, 5);
        var day = Two(t, 8);
        return year >= 1970 && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month)
            && Two(t, 11) <= 23 && Two(t, 14) <= 59 && Two(t, 17) <= 60;
    }

    internal static long ParseTicks(ReadOnlySpan<byte> t)
    {
        var year = (Two(t, 0) * 100) + Two(t, 2);
        var day = Math.Min(Two(t, 8), DateTime.DaysInMonth(Math.Max(1, year), Two(t, 5)));
        var date = new DateTime(Math.Max(1, year), Two(t, 5), Math.Max(1, day), 0, 0, 0, DateTimeKind.Utc);
        long micros = 0;
        for (var i = 20; i < 26; i++)
        {
            micros = (micros * 10) + (t[i] - '0');
        }

        return date.Ticks + (Two(t, 11) * TimeSpan.TicksPerHour) + (Two(t, 14) * TimeSpan.TicksPerMinute)
            + (Math.Min(59, Two(t, 17)) * TimeSpan.TicksPerSecond) + (micros * 10);
    }

    private static int Two(ReadOnlySpan<byte> t, int at) => ((t[at] - '0') * 10) + (t[at + 1] - '0');

    // Vectorized membership tests: these run for every event on every hot path (ingest, stats, store).
    private static readonly SearchValues<byte> LowerHexBytes = SearchValues.Create("0123456789abcdef"u8);
    private static readonly SearchValues<byte> TypeBytes = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789_-."u8);

    private static bool IsLowerHex(ReadOnlySpan<byte> s) => !s.ContainsAnyExcept(LowerHexBytes);
}
