using System.Globalization;

namespace Oxbow;

/// <summary>
/// The canonical time format: ISO-8601 in UTC with exactly six fraction digits and a <c>Z</c>,
/// such as <c>2026-11-22T03:39:00.123456Z</c>. Finer precision is truncated, never rounded, so an event's
/// <c>start</c> can never be written later than its <c>end</c>.
/// </summary>
public static class Timestamps
{
    /// <summary>Length of a canonical timestamp in characters.</summary>
    public const int Length = 27;

    [ThreadStatic] private static long t_cachedSecond;
    [ThreadStatic] private static byte[]? t_cachedPrefix;

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

    /// <summary>Writes exactly <see cref="Length"/> ASCII bytes.</summary>
    internal static void Write(Span<byte> destination, long utcTicks)
    {
        // The date and time up to the second change once a second; caching them per thread leaves six digits to write.
        var second = utcTicks / TimeSpan.TicksPerSecond;
        var prefix = t_cachedPrefix;
        if (prefix is null || second != t_cachedSecond)
        {
            prefix = t_cachedPrefix ??= new byte[20];
            var time = new DateTime(second * TimeSpan.TicksPerSecond, DateTimeKind.Utc);
            time.TryFormat(prefix, out _, "yyyy-MM-dd'T'HH:mm:ss.", CultureInfo.InvariantCulture);
            t_cachedSecond = second;
        }

        prefix.CopyTo(destination);
        var micros = (int)(utcTicks % TimeSpan.TicksPerSecond / 10);
        for (var i = 25; i >= 20; i--)
        {
            destination[i] = (byte)('0' + (micros % 10));
            micros /= 10;
        }

        destination[26] = (byte)'Z';
    }
}
