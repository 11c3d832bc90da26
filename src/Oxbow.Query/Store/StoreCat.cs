using System.Text.Json;
using Oxbow.DuckDb;

namespace Oxbow.Query.Store;

/// <summary>
/// <c>oxbow store cat</c>: the events of one type in a time range (by <c>end</c>), oldest first, as canonical JSON
/// lines, from whatever holds them (fresh NDJSON, compacted Parquet, or both). Only the range's hours are opened.
/// </summary>
public static class StoreCat
{
    /// <summary>Writes the events to <paramref name="output"/>; returns how many.</summary>
    /// <exception cref="ArgumentException">The type name is not valid.</exception>
    /// <exception cref="DuckDb.DuckDbException">The type is unknown (the message lists the known ones) or a file is unreadable.</exception>
    public static long Write(StoreQueryOptions options, string type, TimeRange range, Stream output)
    {
        EventType.Validate(type);
        long count = 0;
        var sql = $"SELECT * FROM {Sql.Identifier(type)} WHERE {range.PartitionFilter()} AND {range.EndFilter()} ORDER BY \"end\", id";
        using var query = new StoreQuery(options);
        query.Read(sql, reader =>
        {
            var rows = new EventRows(reader.Columns);
            using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            foreach (var row in reader.Rows())
            {
                rows.Write(json, row);
                json.Flush();
                output.WriteByte((byte)'\n');
                json.Reset();
                count++;
            }
        });
        return count;
    }
}
