using System.Globalization;
using Oxbow.DuckDb;

namespace Oxbow.Query.Store;

/// <summary>
/// A UTC time range given at day, hour, minute, second or sub-second precision, with both ends inclusive at the
/// precision written: <c>--start 2026-11-22T05 --end 2026-11-22T06</c> is 05:00:00 up to and including 06:59:59.999999;
/// <c>--end 2026-11-22</c> includes all of that day. Times without a zone are UTC.
/// </summary>
/// <param name="Start">First instant included.</param>
/// <param name="EndExclusive">First instant after the range.</param>
public sealed record TimeRange(DateTime Start, DateTime EndExclusive)
{
    private static readonly (string Format, Func<DateTime, DateTime> Next)[] Formats =
    [
        ("yyyy-MM-dd", t => t.AddDays(1)),
        ("yyyy-MM-dd'T'HH", t => t.AddHours(1)),
        ("yyyy-MM-dd'T'HH:mm", t => t.AddMinutes(1)),
        ("yyyy-MM-dd'T'HH:mm:ss", t => t.AddSeconds(1)),
    ];

    /// <summary>Parses the two ends; throws <see cref="FormatException"/> naming the bad one.</summary>
    public static TimeRange Parse(string start, string end)
    {
        var (from, _) = ParseOne(start, "--start");
        var (last, after) = ParseOne(end, "--end");
        return after <= from
            ? throw new FormatException($"--end {end} is before --start {start}")
            : new TimeRange(from, after);
    }

    private static (DateTime First, DateTime After) ParseOne(string text, string name)
    {
        var trimmed = text.Trim().TrimEnd('Z');
        foreach (var (format, next) in Formats)
        {
            if (DateTime.TryParseExact(trimmed, format, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t))
            {
                return (t, next(t));
            }
        }

        if (DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var exact))
        {
            // A full timestamp is included itself: the range ends one microsecond (the store's precision) later.
            return (exact, exact.AddTicks(10));
        }

        throw new FormatException($"{name} '{text}' is not a time: use YYYY-MM-DD, YYYY-MM-DDTHH, YYYY-MM-DDTHH:MM[:SS[.ffffff]] (UTC)");
    }

    /// <summary>A SQL condition on the partition columns that keeps only the hours this range touches, so pruning applies.</summary>
    public string PartitionFilter()
    {
        var first = Start;
        var last = EndExclusive.AddTicks(-1);
        var firstDay = Sql.Literal(first.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        var lastDay = Sql.Literal(last.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        return $"day BETWEEN {firstDay} AND {lastDay} AND (day > {firstDay} OR hour >= {first.Hour}) AND (day < {lastDay} OR hour <= {last.Hour})";
    }

    /// <summary>A SQL condition on <c>end</c>.</summary>
    public string EndFilter() =>
        $"\"end\" >= {Literal(Start)} AND \"end\" < {Literal(EndExclusive)}";

    private static string Literal(DateTime t) => "TIMESTAMP " + Sql.Literal(t.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture));
}
