using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Oxbow.DuckDb;

namespace Oxbow.Query.Store;

/// <summary>Options for <see cref="StoreQuery"/>.</summary>
public sealed class StoreQueryOptions
{
    /// <summary>The collector's data directory (the Hive layout's root). Required.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>
    /// More directories in the same layout to read as part of the store, such as the cache of hours fetched back
    /// from S3. Default none.
    /// </summary>
    public IReadOnlyList<string> MoreRoots { get; init; } = [];

    /// <summary>DuckDB worker threads. Default null: one per processor.</summary>
    public int? Threads { get; init; }

    /// <summary>DuckDB's memory limit, such as <c>1GB</c>. Default null: DuckDB's own (80 % of RAM).</summary>
    public string? MemoryLimit { get; init; }

    /// <summary>
    /// Memory for the lookup indexes of compacted files (<c>C.parquet.keys</c>), which let a query by trace id or id
    /// read only the files that may hold it. Default 256 MiB: about three bytes per distinct id and trace id, so the
    /// indexes of some 65M events. Past it the least recently used are dropped and read from disk again when needed
    /// (slower lookups, the same answers).
    /// </summary>
    public long LookupIndexMemory { get; init; } = 256L << 20;

    /// <summary>
    /// Told once for each file the views leave out because DuckDB cannot read it (the file and why), so the host can
    /// log it. Default none. Queries report the files left out in <see cref="QueryStats.SkippedFiles"/> either way.
    /// </summary>
    public Action<string, string>? FileSkipped { get; init; }
}
