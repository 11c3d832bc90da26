using Oxbow.DuckDb;
using Oxbow.IO;
using Oxbow.Store;

namespace Oxbow.Store.Index;

/// <summary>Writes a Parquet file's lookup index (<see cref="LookupKeys"/>) from the file itself.</summary>
internal static class LookupKeysWriter
{
    /// <summary>
    /// Reads the distinct values of each indexed column of <paramref name="parquet"/> and writes its index to
    /// <paramref name="keys"/> durably (a temporary file, flushed, then renamed; the caller syncs the directory). A
    /// column the file lacks gets an empty filter (no value can be there); a column that is not text gets none (a
    /// lookup then reads the file, since DuckDB would compare it after a cast).
    /// </summary>
    /// <exception cref="DuckDbException">The file cannot be read.</exception>
    /// <exception cref="IOException">The index cannot be written.</exception>
    public static void Write(DuckDbConnection connection, string parquet, string keys)
    {
        var source = $"read_parquet({Sql.Literal(parquet)}, hive_partitioning = false)";
        var columns = connection.QueryAll($"DESCRIBE SELECT * FROM {source}").Rows.Select(r => (Name: (string)r[0]!, Type: (string)r[1]!)).ToList();
        Dictionary<string, IReadOnlyCollection<string>> distinct = new(StringComparer.Ordinal);
        foreach (var column in LookupKeys.Columns)
        {
            // SQL names match without regard to case, so a column spelled differently is the same column to a query.
            var matching = columns.Where(c => string.Equals(c.Name, column, StringComparison.OrdinalIgnoreCase)).ToList();
            if (matching.Count == 0)
            {
                distinct[column] = [];
            }
            else if (matching is [{ Type: "VARCHAR" } only] && only.Name == column)
            {
                var name = Sql.Identifier(column);
                distinct[column] = [.. connection.QueryAll($"SELECT DISTINCT {name} FROM {source} WHERE {name} IS NOT NULL").Rows.Select(r => (string)r[0]!)];
            }
        }

        var temporary = keys + StoreLayout.TemporarySuffix;
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(LookupKeys.Build(new FileInfo(parquet).Length, distinct));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, keys, overwrite: true);
    }

    /// <summary>
    /// Indexes the committed Parquet files of an hour that have no index yet (written before indexes existed, or
    /// by a compaction that crashed between its commit and its index), then syncs the directory. Returns how many.
    /// </summary>
    public static int Backfill(DuckDbConnection connection, PartitionFiles files)
    {
        var written = 0;
        foreach (var parquet in files.Parquet.Where(p => !File.Exists(p + LookupKeys.Suffix)))
        {
            Write(connection, parquet, parquet + LookupKeys.Suffix);
            written++;
        }

        if (written > 0)
        {
            DirectorySync.Sync(files.Partition.Directory);
        }

        return written;
    }
}
