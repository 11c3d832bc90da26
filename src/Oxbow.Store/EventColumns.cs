using Oxbow.DuckDb;

namespace Oxbow.Store;

/// <summary>
/// How an event becomes table columns, in queries and in Parquet alike: the envelope fields (<c>id</c>, <c>type</c>,
/// <c>start</c>, <c>end</c>, …) as they are, and each top-level <c>body</c> field as its own column, so that
/// <c>SELECT status, count(*) FROM request GROUP BY 1</c> works and Athena sees plain columns. A body field whose name
/// is taken by the envelope or a partition column is called <c>body_&lt;name&gt;</c>. Nested objects stay structs
/// (<c>response.status</c>).
/// </summary>
public static class EventColumns
{
    /// <summary>Envelope fields, in canonical order.</summary>
    public static readonly IReadOnlyList<string> Envelope = ["id", "type", "start", "end", "level", "host", "pid", "app", "trace_id", "span_id"];

    /// <summary>The Hive partition columns, derived from the path.</summary>
    public static readonly IReadOnlyList<string> PartitionColumns = ["day", "hour"];

    private static readonly HashSet<string> Taken = new([.. Envelope, .. PartitionColumns, "body"], StringComparer.OrdinalIgnoreCase);

    /// <summary>The column name a body field gets.</summary>
    public static string ForBodyField(string field) => Taken.Contains(field) ? "body_" + field : field;

    /// <summary>The body field a column holds: the inverse of <see cref="ForBodyField"/>.</summary>
    public static string FromColumn(string column) =>
        column.StartsWith("body_", StringComparison.Ordinal) && Taken.Contains(column["body_".Length..]) ? column["body_".Length..] : column;

    /// <summary>
    /// The select list that flattens <paramref name="columns"/> (as read from NDJSON: envelope, <c>body</c> struct,
    /// maybe partition columns): every top-level column but <c>body</c>, then one column per body field.
    /// </summary>
    public static string FlatteningSelectList(IReadOnlyList<QueryColumn> columns)
    {
        List<string> select = [];
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var column in columns.Where(c => c.Name != "body"))
        {
            used.Add(column.Name);
            select.Add(Sql.Identifier(column.Name));
        }

        foreach (var field in columns.FirstOrDefault(c => c.Name == "body")?.Fields ?? [])
        {
            // Names are compared without case, as DuckDB does; a clash that survives the body_ prefix keeps the first.
            var name = ForBodyField(field);
            if (used.Add(name))
            {
                select.Add($"body.{Sql.Identifier(field)} AS {Sql.Identifier(name)}");
            }
        }

        return select.Count == 0 ? "*" : string.Join(", ", select);
    }
}
