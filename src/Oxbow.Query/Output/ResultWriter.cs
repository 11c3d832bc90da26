using System.Text;
using System.Text.Json;
using Oxbow.DuckDb;

namespace Oxbow.Query.Output;

/// <summary>The output formats of <c>oxbow query</c>.</summary>
public enum ResultFormat
{
    /// <summary>Aligned columns for a terminal (cells longer than 60 characters are cut with …).</summary>
    Table,

    /// <summary>One JSON object per row, keyed by column name (JSON lines).</summary>
    Json,

    /// <summary>RFC 4180 CSV with a header row.</summary>
    Csv,
}

/// <summary>Writes query results as a table, JSON lines or CSV.</summary>
public static class ResultWriter
{
    private const int MaxCell = 60;

    /// <summary>Writes <paramref name="columns"/> and <paramref name="rows"/> in <paramref name="format"/>.</summary>
    public static void Write(Stream output, ResultFormat format, IReadOnlyList<QueryColumn> columns, IEnumerable<object?[]> rows)
    {
        switch (format)
        {
            case ResultFormat.Json:
                WriteJsonLines(output, columns, rows);
                break;
            case ResultFormat.Csv:
                WriteCsv(output, columns, rows);
                break;
            default:
                WriteTable(output, columns, rows);
                break;
        }
    }

    private static void WriteJsonLines(Stream output, IReadOnlyList<QueryColumn> columns, IEnumerable<object?[]> rows)
    {
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        foreach (var row in rows)
        {
            json.WriteStartObject();
            for (var i = 0; i < columns.Count; i++)
            {
                json.WritePropertyName(columns[i].Name);
                ValueJson.Write(json, row[i]);
            }

            json.WriteEndObject();
            json.Flush();
            output.WriteByte((byte)'\n');
            json.Reset();
        }
    }

    private static void WriteCsv(Stream output, IReadOnlyList<QueryColumn> columns, IEnumerable<object?[]> rows)
    {
        using var writer = new StreamWriter(output, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\r\n" };
        writer.WriteLine(string.Join(",", columns.Select(c => Quote(c.Name))));
        foreach (var row in rows)
        {
            writer.WriteLine(string.Join(",", row.Select(v => v is null ? "" : Quote(ValueJson.Text(v)))));
        }

        static string Quote(string text) =>
            text.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
    }

    private static void WriteTable(Stream output, IReadOnlyList<QueryColumn> columns, IEnumerable<object?[]> rows)
    {
        var cells = rows.Select(row => row.Select(v => Cut(v is null ? "NULL" : ValueJson.Text(v))).ToArray()).ToList();
        var widths = columns.Select((c, i) => Math.Max(c.Name.Length, cells.Count == 0 ? 0 : cells.Max(r => r[i].Length))).ToArray();
        var numeric = columns.Select(c => c.Type is "TINYINT" or "SMALLINT" or "INTEGER" or "BIGINT" or "HUGEINT" or "UTINYINT" or "USMALLINT"
            or "UINTEGER" or "UBIGINT" or "FLOAT" or "DOUBLE" or "DECIMAL").ToArray();
        using var writer = new StreamWriter(output, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
        writer.WriteLine(string.Join("  ", columns.Select((c, i) => c.Name.PadRight(widths[i]))).TrimEnd());
        writer.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in cells)
        {
            writer.WriteLine(string.Join("  ", row.Select((cell, i) => numeric[i] ? cell.PadLeft(widths[i]) : cell.PadRight(widths[i]))).TrimEnd());
        }

        writer.WriteLine($"({cells.Count} row{(cells.Count == 1 ? "" : "s")})");

        static string Cut(string text)
        {
            text = text.ReplaceLineEndings(" ");
            return text.Length <= MaxCell ? text : text[..(MaxCell - 1)] + "…";
        }
    }
}
