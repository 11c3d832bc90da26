using System.Text;

namespace Oxbow.DuckDb;

/// <summary>Quoting for SQL text Oxbow generates: every name and path goes through here, never raw into SQL.</summary>
public static class Sql
{
    /// <summary>A string literal: <c>'it''s'</c>.</summary>
    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>A quoted identifier: <c>"a""b"</c>.</summary>
    public static string Identifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>A list literal of strings: <c>['a', 'b']</c>.</summary>
    public static string List(IEnumerable<string> values)
    {
        var text = new StringBuilder("[");
        foreach (var value in values)
        {
            if (text.Length > 1)
            {
                text.Append(", ");
            }

            text.Append(Literal(value));
        }

        return text.Append(']').ToString();
    }
}
