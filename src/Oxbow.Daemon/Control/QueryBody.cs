using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Oxbow.DuckDb;
using Oxbow.Query.Output;
using Oxbow.Query.Store;

namespace Oxbow.Daemon.Control;

/// <summary>
/// Writes a query's answer to the response as DuckDB hands over the rows. The status and headers go out once the
/// result exists (so a bad query still gets a 400), and the result is at most <see cref="QueryLimits.MaxRows"/> plus
/// one rows, so <c>Oxbow-Truncated</c> is known before the first row is sent.
/// </summary>
internal static class QueryBody
{
    /// <summary>Runs on the query's thread (synchronous writes are allowed for this request).</summary>
    /// <param name="http">The request.</param>
    /// <param name="query">The engine.</param>
    /// <param name="sql">The query.</param>
    /// <param name="format">json, jsonl, csv or table.</param>
    /// <param name="collectStats">Whether to add what the query read.</param>
    /// <param name="limits">Timeout and row cap.</param>
    /// <param name="handoff">Says whether the handler answered already (the query's time ran out first).</param>
    public static void Write(HttpContext http, StoreQuery query, string sql, string format, bool collectStats, QueryLimits limits, QueryHandoff handoff)
    {
        var maxRows = limits.MaxRows ?? int.MaxValue;
        // Stats are known only once the result is gone: with them, the (bounded) answer is buffered for the header.
        using var buffer = collectStats ? new MemoryStream() : null;
        var output = buffer ?? http.Response.Body;
        var stats = query.Read(sql, reader =>
        {
            if (!handoff.TryStartWriting())
            {
                throw new OperationCanceledException("the query's time ran out before its rows came");
            }

            var truncated = reader.RowCount > maxRows;
            var rows = reader.Rows().Take(maxRows);
            http.Response.Headers["Oxbow-Truncated"] = truncated ? "true" : "false";
            http.Response.ContentType = format switch
            {
                "csv" => "text/csv; charset=utf-8",
                "jsonl" => "application/x-ndjson",
                "table" => "text/plain; charset=utf-8",
                _ => "application/json",
            };
            if (format == "json")
            {
                WriteJson(output, reader.Columns, rows, truncated, writeEnd: !collectStats);
            }
            else
            {
                ResultWriter.Write(output, format == "csv" ? ResultFormat.Csv : format == "jsonl" ? ResultFormat.Json : ResultFormat.Table, reader.Columns, rows);
            }
        }, limits, collectStats);
        if (buffer is null || !handoff.TryStartWriting())
        {
            return;
        }

        if (format == "json")
        {
            // The document was left open for the stats: this writer continues it, so it cannot check the nesting.
            using var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
            json.WriteStartObject("stats");
            json.WriteNumber("scans", stats!.Scans);
            json.WriteNumber("files_read", stats.FilesRead);
            json.WriteNumber("files_considered", stats.FilesConsidered);
            json.WriteNumber("elapsed_ms", Math.Round(stats.Elapsed.TotalMilliseconds, 1));
            json.WriteStartArray("skipped_files");
            foreach (var skipped in stats.SkippedFiles)
            {
                json.WriteStringValue(skipped);
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.Flush();
            buffer.Write("}\n"u8);
        }

        http.Response.Headers["Oxbow-Query-Stats"] = StoreQuery.Describe(stats!);
        http.Response.ContentLength = buffer.Length;
        buffer.Position = 0;
        buffer.CopyTo(http.Response.Body);
    }

    private static void WriteJson(Stream output, IReadOnlyList<DuckDb.QueryColumn> columns, IEnumerable<object?[]> rows, bool truncated, bool writeEnd)
    {
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteStartArray("columns");
        foreach (var column in columns)
        {
            json.WriteStartObject();
            json.WriteString("name", column.Name);
            json.WriteString("type", column.Type);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("rows");
        var count = 0;
        foreach (var row in rows)
        {
            json.WriteStartArray();
            foreach (var value in row)
            {
                ValueJson.Write(json, value);
            }

            json.WriteEndArray();
            count++;
            if (json.BytesPending > 1 << 16)
            {
                json.Flush();
            }
        }

        json.WriteEndArray();
        json.WriteNumber("row_count", count);
        json.WriteBoolean("truncated", truncated);
        if (writeEnd)
        {
            json.WriteEndObject();
            json.Flush();
            output.Write("\n"u8);
            return;
        }

        // The caller adds "stats" and closes the object: the writer is told nothing more, so it does not complain.
        json.Flush();
        output.Write(","u8);
    }
}
