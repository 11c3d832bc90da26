using System.Globalization;
using Microsoft.AspNetCore.Http;
using Oxbow.Daemon.Auth;
using Oxbow.Query.Search;
using Oxbow.Query.Store;

namespace Oxbow.Daemon.WebConsole;

/// <summary>
/// Reads a console call's query string: <c>from</c> and <c>to</c> (ISO 8601, UTC when no offset; default the last
/// hour), <c>type</c> (comma-separated type patterns: <c>request*</c>, <c>web.*</c>, <c>deploy</c>), <c>filter</c>
/// (<see cref="FilterLanguage"/>) and <c>text</c> (free text). Every problem is a <see cref="FormatException"/> that
/// says which parameter and why; the API answers it as a 400.
/// </summary>
internal static class ConsoleRequest
{
    /// <summary>
    /// The search a query string asks for, over <paramref name="schema"/> (the types <paramref name="grant"/> may
    /// read); <paramref name="empty"/> when no type can match, so the caller answers without a query.
    /// </summary>
    public static EventSearch Search(IQueryCollection query, IReadOnlyList<TypeSchema> schema, TokenGrant grant, out bool empty)
    {
        var to = Time(query, "to") ?? DateTime.UtcNow;
        var from = Time(query, "from") ?? to.AddHours(-1);
        if (from >= to)
        {
            throw new FormatException("'from' must be before 'to'");
        }

        var patterns = query["type"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var selected = patterns.Length == 0 ? schema : [.. schema.Where(t => patterns.Any(p => TypePattern.Matches(p, t.Type)))];
        empty = selected.Count == 0;
        // Every type by name: IN (…) lets the store leave other types' files out. No condition only when the caller
        // asked for every type and may read every type.
        IReadOnlyList<string> types = patterns.Length == 0 && grant.Scopes.Contains("*") ? [] : [.. selected.Select(t => t.Type)];
        var columns = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "day", "hour" };
        foreach (var type in selected.Count > 0 ? selected : schema)
        {
            columns.UnionWith(type.Columns.Select(c => c.Name));
        }

        var filter = FilterLanguage.Parse(query["filter"].ToString(), columns)?.ToSql();
        var text = query["text"].ToString();
        return new EventSearch(from, to, types, filter, text.Length == 0 ? null : text);
    }

    private static DateTime? Time(IQueryCollection query, string name)
    {
        var text = query[name].ToString();
        if (text.Length == 0)
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time.UtcDateTime
            : throw new FormatException($"'{name}' is not a time: '{text}' (ISO 8601, such as 2026-12-05T10:00:00Z)");
    }

    /// <summary>An integer parameter within a range; its default when absent.</summary>
    public static int Int(IQueryCollection query, string name, int fallback, int min, int max)
    {
        var text = query[name].ToString();
        return text.Length == 0 ? fallback
            : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max ? value
            : throw new FormatException($"'{name}' must be a whole number from {min} to {max}");
    }

    /// <summary>A column parameter: it must name a column of a visible type (it becomes a quoted identifier).</summary>
    public static string Column(IQueryCollection query, string name, IReadOnlyList<TypeSchema> schema)
    {
        var text = query[name].ToString();
        return schema.SelectMany(t => t.Columns).FirstOrDefault(c => c.Name.Equals(text, StringComparison.OrdinalIgnoreCase)).Name
            ?? throw new FormatException($"'{name}' must name a column of the store ('{text}' is none)");
    }

    /// <summary>An id or trace id from a path: at most 128 characters (it becomes a literal, never a name).</summary>
    public static string Key(string value, string what) =>
        value.Length is > 0 and <= 128 ? value : throw new FormatException($"the {what} must be 1 to 128 characters");

    /// <summary>The cursor after row <paramref name="index"/> of a page: its end, id and type, joined by '|'.</summary>
    public static string CursorOf(ConsoleApi.Rows rows, int index)
    {
        string? Value(string column)
        {
            var at = rows.Columns.ToList().FindIndex(c => c.Name == column);
            return at < 0 ? null : Query.Output.ValueJson.Text(rows.Values[index][at]);
        }

        return $"{Value("end")}|{Value("id")}|{Value("type")}";
    }

    /// <summary>The row a page continues after, from its cursor; null for the first page.</summary>
    public static (DateTime End, string Id, string Type)? Cursor(string text)
    {
        if (text.Length == 0)
        {
            return null;
        }

        var parts = text.Split('|');
        return parts.Length == 3 && DateTime.TryParse(parts[0], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var end)
            ? (end, parts[1], parts[2])
            : throw new FormatException("'before' is not a cursor from a previous page");
    }
}
