using System.Globalization;
using System.Text.Json;

namespace Oxbow.Query.Store.Narrowing;

/// <summary>
/// What a query's own WHERE clause says about which files can hold its rows, read from DuckDB's parse tree
/// (<c>json_serialize_sql</c>). Only a single SELECT over exactly one of the store's views qualifies, and only
/// conditions joined by AND at the top of its WHERE clause count: each such condition holds for every row the query
/// returns, so a file whose rows all fail one of them can be left out without changing the answer.
/// </summary>
/// <remarks>
/// Understood: <c>col = 'v'</c>, <c>'v' = col</c> and <c>col IN ('v', …)</c> on <c>day</c>, <c>type</c>,
/// <c>trace_id</c> and <c>id</c>; <c>hour = n</c> and <c>hour IN (…)</c>; and <c>day</c> compared with <c>&lt;</c>,
/// <c>&lt;=</c>, <c>&gt;</c>, <c>&gt;=</c> ('YYYY-MM-DD' text sorts by date). Anything else (OR, casts, functions,
/// other columns) is simply not used for narrowing; DuckDB still applies every condition.
/// </remarks>
internal sealed class QueryShape
{
    private static readonly string[] Understood = ["day", "hour", "type", "trace_id", "id"];

    private QueryShape(string table) => Table = table;

    /// <summary>The one view the query reads, as written (DuckDB matches names without regard to case).</summary>
    public string Table { get; }

    /// <summary>Per understood column (lower case), the values it must equal (as text).</summary>
    public Dictionary<string, HashSet<string>> Equal { get; } = new(StringComparer.Ordinal);

    /// <summary>The lowest day allowed and whether it is allowed itself.</summary>
    public (string Day, bool Inclusive)? From { get; private set; }

    /// <summary>The highest day allowed and whether it is allowed itself.</summary>
    public (string Day, bool Inclusive)? To { get; private set; }

    /// <summary>True when some condition can leave files out.</summary>
    public bool Narrows => Equal.Count > 0 || From is not null || To is not null;

    /// <summary>Whether rows of <paramref name="day"/> (YYYY-MM-DD) can pass.</summary>
    public bool KeepsDay(string day) =>
        (!Equal.TryGetValue("day", out var days) || days.Contains(day))
        && (From is not { } from || string.CompareOrdinal(day, from.Day) is var a && (a > 0 || (a == 0 && from.Inclusive)))
        && (To is not { } to || string.CompareOrdinal(day, to.Day) is var b && (b < 0 || (b == 0 && to.Inclusive)));

    /// <summary>Whether rows of <paramref name="hour"/> can pass.</summary>
    public bool KeepsHour(int hour) => !Equal.TryGetValue("hour", out var hours) || hours.Contains(hour.ToString(CultureInfo.InvariantCulture));

    /// <summary>Whether rows of <paramref name="type"/> can pass.</summary>
    public bool KeepsType(string type) => !Equal.TryGetValue("type", out var types) || types.Contains(type);

    /// <summary>The shape of the query DuckDB parsed into <paramref name="parsed"/>, or null when it cannot be narrowed.</summary>
    public static QueryShape? FromParseTree(string parsed)
    {
        using var document = JsonDocument.Parse(parsed);
        var root = document.RootElement;
        if (root.GetProperty("error").GetBoolean() || root.GetProperty("statements") is not { ValueKind: JsonValueKind.Array } statements
            || statements.GetArrayLength() != 1)
        {
            return null;
        }

        var node = statements[0].GetProperty("node");
        // Exactly one table anywhere in the statement: a subquery, join or CTE over the same view would otherwise see
        // the narrowed files too.
        if (Text(node, "type") != "SELECT_NODE" || CountTables(node) != 1 || !node.TryGetProperty("from_table", out var from)
            || Text(from, "type") != "BASE_TABLE" || Text(from, "schema_name") is not (null or "") || Text(from, "catalog_name") is not (null or "")
            || Text(from, "table_name") is not { Length: > 0 } table)
        {
            return null;
        }

        var shape = new QueryShape(table);
        var alias = Text(from, "alias") is { Length: > 0 } a ? a : table;
        if (node.TryGetProperty("where_clause", out var where) && where.ValueKind == JsonValueKind.Object)
        {
            foreach (var condition in Conjuncts(where))
            {
                shape.Add(condition, alias);
            }
        }

        return shape;
    }

    private void Add(JsonElement condition, string alias)
    {
        var kind = Text(condition, "type");
        if (Text(condition, "class") == "OPERATOR" && kind == "COMPARE_IN" && condition.TryGetProperty("children", out var children)
            && children.GetArrayLength() >= 2 && Column(children[0], alias) is { } inColumn)
        {
            HashSet<string> values = new(StringComparer.Ordinal);
            foreach (var child in children.EnumerateArray().Skip(1))
            {
                if (Constant(child, inColumn) is not { } value)
                {
                    return;
                }

                values.Add(value);
            }

            Restrict(inColumn, values);
            return;
        }

        if (Text(condition, "class") != "COMPARISON" || !condition.TryGetProperty("left", out var left) || !condition.TryGetProperty("right", out var right))
        {
            return;
        }

        var flipped = false;
        if (Column(left, alias) is not { } column)
        {
            (left, right, flipped) = (right, left, true);
            if (Column(left, alias) is not { } other)
            {
                return;
            }

            column = other;
        }

        if (Constant(right, column) is not { } constant)
        {
            return;
        }

        switch (kind)
        {
            case "COMPARE_EQUAL":
                Restrict(column, [constant]);
                break;
            case "COMPARE_GREATERTHAN" or "COMPARE_GREATERTHANOREQUALTO" when column == "day" && !flipped:
            case "COMPARE_LESSTHAN" or "COMPARE_LESSTHANOREQUALTO" when column == "day" && flipped:
                Lower(constant, kind.EndsWith("EQUALTO", StringComparison.Ordinal));
                break;
            case "COMPARE_LESSTHAN" or "COMPARE_LESSTHANOREQUALTO" when column == "day" && !flipped:
            case "COMPARE_GREATERTHAN" or "COMPARE_GREATERTHANOREQUALTO" when column == "day" && flipped:
                Upper(constant, kind.EndsWith("EQUALTO", StringComparison.Ordinal));
                break;
        }
    }

    private void Restrict(string column, HashSet<string> values)
    {
        if (Equal.TryGetValue(column, out var known))
        {
            known.IntersectWith(values);
        }
        else
        {
            Equal[column] = values;
        }
    }

    private void Lower(string day, bool inclusive)
    {
        if (From is not { } from || string.CompareOrdinal(day, from.Day) > 0 || (day == from.Day && !inclusive))
        {
            From = (day, inclusive);
        }
    }

    private void Upper(string day, bool inclusive)
    {
        if (To is not { } to || string.CompareOrdinal(day, to.Day) < 0 || (day == to.Day && !inclusive))
        {
            To = (day, inclusive);
        }
    }

    /// <summary>An understood column, lower case, when <paramref name="node"/> is a reference to one on the query's table.</summary>
    private static string? Column(JsonElement node, string alias)
    {
        if (Text(node, "class") != "COLUMN_REF" || !node.TryGetProperty("column_names", out var names))
        {
            return null;
        }

        var parts = names.EnumerateArray().Select(n => n.GetString() ?? "").ToArray();
        var name = parts switch
        {
            [var only] => only,
            [var qualifier, var last] when string.Equals(qualifier, alias, StringComparison.OrdinalIgnoreCase) => last,
            _ => null,
        };
        return name is null ? null : Understood.FirstOrDefault(u => string.Equals(u, name, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>A constant's value as text, when its type is the one <paramref name="column"/> compares with exactly.</summary>
    private static string? Constant(JsonElement node, string column)
    {
        if (Text(node, "class") != "CONSTANT" || !node.TryGetProperty("value", out var value)
            || (value.TryGetProperty("is_null", out var isNull) && isNull.GetBoolean()))
        {
            return null;
        }

        var type = value.TryGetProperty("type", out var t) ? Text(t, "id") : null;
        var inner = value.TryGetProperty("value", out var v) ? v : default;
        return column == "hour"
            ? type is "INTEGER" or "BIGINT" or "SMALLINT" or "TINYINT" && inner.ValueKind == JsonValueKind.Number && inner.TryGetInt64(out var n) ? n.ToString(CultureInfo.InvariantCulture) : null
            : type == "VARCHAR" && inner.ValueKind == JsonValueKind.String ? inner.GetString() : null;
    }

    private static IEnumerable<JsonElement> Conjuncts(JsonElement node)
    {
        if (Text(node, "class") == "CONJUNCTION" && Text(node, "type") == "CONJUNCTION_AND" && node.TryGetProperty("children", out var children))
        {
            return children.EnumerateArray().SelectMany(Conjuncts);
        }

        return [node];
    }

    private static int CountTables(JsonElement node) => node.ValueKind switch
    {
        JsonValueKind.Object => (Text(node, "type") is "BASE_TABLE" or "SUBQUERY" or "JOIN" or "TABLE_FUNCTION" or "EXPRESSION_LIST" ? 1 : 0)
            + (node.TryGetProperty("cte_map", out var ctes) && ctes.TryGetProperty("map", out var map) && map.GetArrayLength() > 0 ? 2 : 0)
            + node.EnumerateObject().Sum(p => CountTables(p.Value)),
        JsonValueKind.Array => node.EnumerateArray().Sum(CountTables),
        _ => 0,
    };

    private static string? Text(JsonElement node, string property) =>
        node.ValueKind == JsonValueKind.Object && node.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
