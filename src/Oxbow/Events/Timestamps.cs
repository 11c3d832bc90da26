using System.Globalization;

namespace Oxbow;

/// <summary>
/// The canonical time format: ISO-8601 in UTC with exactly six fraction digits and a <c>Z</c>,
/// such as <c>2026-11-22T03:39:00.123456Z</c>. Finer precision is truncated, never rounded, so an event's
/// <c>start</c> can never be written later than its <c>end</c>.
/// </summary>
internal static class Timestamps
{
    /// <summary>Length of a canonical timestamp in characters.</summary>
    public const int Length = 27;

    [ThreadStatic] private static Cache? t_cache;

    /// <summary>Truncates <paramref name="utc"/> to whole microseconds.</summary>
    public static DateTime TruncateToMicroseconds(DateTime utc) => new(utc.Ticks - (utc.Ticks % 10), DateTimeKind.Utc);

    /// <summary>Formats a UTC time canonically.</summary>
    public static string Format(DateTime utc)
    {
        Span<byte> buffer = stackalloc byte[Length];
        Write(buffer, utc.Ticks);
        return System.Text.Encoding.ASCII.GetString(buffer);
    }

    /// <summary>Parses a canonical timestamp (or any ISO-8601 time with an offset) to UTC.</summary>
    public static bool TryParse(string? text, out DateTime utc)
    {
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
        {
            utc = value.UtcDateTime;
            return true;
        }

        utc = default;
        return false;
    }

    /// <summary>
    /// The date and time up to the second change once a second; caching them leaves six digits to write per event.
    /// Each thread's encoder owns one, so the hot path touches no shared or thread-static state.
    /// </summary>
    internal sealed class Cache
    {
        public long Second = -1;
        public readonly byte[] Prefix = new byte[20];
    }

    /// <summary>Writes exactly <see cref="Length"/> ASCII bytes.</summary>
    internal static void Write(Span<byte> destination, long utcTicks) => Write(destination, utcTicks, t_cache ??= new Cache());

    /// <summary>Writes exactly <see cref="Length"/> ASCII bytes using <paramref name="cache"/>.</summary>
    internal static void Write(Span<byte> destination, long utcTicks, Cache cache)
    {
        var second = utcTicks / TimeSpan.TicksPerSecond;
        var prefix = cache.Prefix;
        if (second != cache.Second)
        {
            var time = new DateTime(second * TimeSpan.TicksPerSecond, DateTimeKind.Utc);
            time.TryFormat(prefix, out _, "yyyy-MM-dd'T'HH:mm:ss.", CultureInfo.InvariantCulture);
            cache.Second = second;
        }

        prefix.CopyTo(destination);
        var micros = (uint)(utcTicks - (second * TimeSpan.TicksPerSecond)) / 10;
        destination[25] = (byte)('0' + (micros % 10));
        destination[24] = (byte)('0' + (micros / 10 % 10));
        destination[23] = (byte)('0' + (micros / 100 % 10));
        destination[22] = (byte)('0' + (micros / 1000 % 10));
        destination[21] = (byte)('0' + (micros / 10000 % 10));
        destination[20] = (byte)('0' + (micros / 100000));
        destination[26] = (byte)'Z';
    }
}
