using System.Globalization;
using Oxbow.DuckDb;

namespace Oxbow.Query.Search;

/// <summary>
/// What the console asks of the store: events of some types in a time range, through a field filter and free text.
/// <see cref="Types"/> is already the explicit list the caller may read (patterns expanded, a token's scope applied);
/// empty means every type. Times are UTC and select by <c>end</c>, the time that chose each event's partition, so the
/// <c>day</c> conditions this adds let the store skip every other day without opening a file.
/// </summary>
/// <param name="From">The start of the range, inclusive.</param>
/// <param name="To">The end of the range, exclusive.</param>
/// <param name="Types">The types to read; empty for all.</param>
/// <param name="Filter">A condition from <see cref="FilterLanguage.ToSql"/>, or null.</param>
/// <param name="Text">Free text looked for, without case, anywhere in the event; null or empty for none.</param>
public sealed record EventSearch(DateTime From, DateTime To, IReadOnlyList<string> Types, string? Filter, string? Text)
{
    /// <summary>The most rows a page may ask for.</summary>
    public const int MaxPage = 1000;

    /// <summary>The WHERE clause (without the word) for this search: every condition joined by AND at the top, as the store's narrowing reads them.</summary>
    public string Where()
    {
        List<string> conditions =
        [
            $"day >= {Sql.Literal(Day(From))}",
            $"day <= {Sql.Literal(Day(To.AddTicks(-1)))}",
            $"\"end\" >= {Timestamp(From)}",
            $"\"end\" < {Timestamp(To)}",
        ];
        if (Types.Count > 0)
        {
            conditions.Add($"type IN ({string.Join(", ", Types.Select(Sql.Literal))})");
        }

        if (Filter is not null)
        {
            conditions.Add(Filter);
        }

        if (!string.IsNullOrEmpty(Text))
        {
            // The whole row as text (every column, nested ones as JSON-like text): "free text over message and body".
            conditions.Add($"contains(lower(CAST(events AS VARCHAR)), {Sql.Literal(Text.ToLowerInvariant())})");
        }

        return string.Join(" AND ", conditions);
    }

    /// <summary>
    /// One page of events, newest first. <paramref name="before"/> is the last row of the previous page (its
    /// <c>end</c>, <c>id</c> and <c>type</c>), so paging deeper costs the same as the first page; one row more than
    /// <paramref name="limit"/> is asked for, to tell whether there is a next page.
    /// </summary>
    public string PageSql(int limit, (DateTime End, string Id, string Type)? before)
    {
        var where = Where();
        if (before is { } b)
        {
            var end = Timestamp(b.End);
            where += $" AND (\"end\" < {end} OR (\"end\" = {end} AND (id < {Sql.Literal(b.Id)} OR (id = {Sql.Literal(b.Id)} AND type < {Sql.Literal(b.Type)}))))";
        }

        return $"SELECT * FROM events WHERE {where} ORDER BY \"end\" DESC, id DESC, type DESC LIMIT {Math.Clamp(limit, 1, MaxPage) + 1}";
    }

    /// <summary>The bucket width for a range: the smallest of a fixed ladder that gives at most <paramref name="buckets"/> buckets.</summary>
    public TimeSpan BucketWidth(int buckets = 120)
    {
        TimeSpan[] ladder =
        [
            TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30),
            TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30),
            TimeSpan.FromHours(1), TimeSpan.FromHours(3), TimeSpan.FromHours(6), TimeSpan.FromHours(12), TimeSpan.FromDays(1), TimeSpan.FromDays(7),
        ];
        var range = To - From;
        return ladder.FirstOrDefault(w => range / w <= buckets, ladder[^1]);
    }

    /// <summary>Counts per bucket (epoch milliseconds of its start) and <paramref name="series"/> (a column: <c>level</c> or <c>type</c>).</summary>
    public string CountSql(TimeSpan width, string series) =>
        $"SELECT {Bucket(width)} AS bucket, coalesce(CAST({Sql.Identifier(series)} AS VARCHAR), '') AS series, count(*) AS n " +
        $"FROM events WHERE {Where()} GROUP BY ALL ORDER BY bucket, series";

    /// <summary>Per bucket: events, and the share of them at level error or fatal.</summary>
    public string ErrorRateSql(TimeSpan width) =>
        $"SELECT {Bucket(width)} AS bucket, count(*) AS n, avg(CASE WHEN lower(level) IN ('error', 'fatal') THEN 1.0 ELSE 0.0 END) AS error_rate " +
        $"FROM events WHERE {Where()} GROUP BY ALL ORDER BY bucket";

    /// <summary>Exact p50, p95 and p99 of a numeric column, grouped by another column (the 50 largest groups).</summary>
    public string PercentilesSql(string field, string by) =>
        $"SELECT coalesce(CAST({Sql.Identifier(by)} AS VARCHAR), '') AS \"group\", count(*) AS n, " +
        $"quantile_cont(TRY_CAST({Sql.Identifier(field)} AS DOUBLE), [0.5, 0.95, 0.99]) AS p " +
        $"FROM events WHERE {Where()} AND {Sql.Identifier(field)} IS NOT NULL GROUP BY ALL ORDER BY n DESC LIMIT 50";

    /// <summary>Every event with one id (a request and its parts), in start order; <paramref name="types"/> limits them (empty for all).</summary>
    public static string RequestSql(string id, IReadOnlyList<string> types) => ByKey("id", id, types);

    /// <summary>Every event of one trace, in start order; <paramref name="types"/> limits them (empty for all).</summary>
    public static string TraceSql(string traceId, IReadOnlyList<string> types) => ByKey("trace_id", traceId, types);

    private static string ByKey(string column, string value, IReadOnlyList<string> types) =>
        $"SELECT * FROM events WHERE {column} = {Sql.Literal(value)}" +
        (types.Count > 0 ? $" AND type IN ({string.Join(", ", types.Select(Sql.Literal))})" : "") +
        " ORDER BY \"start\", \"end\" DESC, type LIMIT 10001";

    private static string Bucket(TimeSpan width) =>
        string.Create(CultureInfo.InvariantCulture, $"(epoch_ms(\"end\") // {(long)width.TotalMilliseconds}) * {(long)width.TotalMilliseconds}");

    private static string Day(DateTime time) => time.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Timestamp(DateTime time) => "TIMESTAMP " + Sql.Literal(time.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture));
}
