using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Oxbow.DuckDb;

namespace Oxbow.Query.Store;

/// <summary>Bounds on one query.</summary>
public readonly record struct QueryLimits
{
    /// <summary>Interrupts the query (DuckDB's interrupt) when cancelled. Default none.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>
    /// The most rows the consumer will read: DuckDB is asked for one more (to tell that there were more) and no
    /// further. Default null: all of them.
    /// </summary>
    public int? MaxRows { get; init; }
}

/// <summary>A query's result and, when asked for, what it read.</summary>
/// <param name="Result">Columns and rows.</param>
/// <param name="Stats">Files read, when stats were collected.</param>
public sealed record StoreQueryResult(QueryResult Result, QueryStats? Stats);

/// <summary>What a query read: partition pruning shows as <see cref="FilesRead"/> below <see cref="FilesConsidered"/>.</summary>
/// <param name="Scans">File scans in the plan.</param>
/// <param name="FilesRead">Files opened, over all scans.</param>
/// <param name="FilesConsidered">Files the scans could have opened before pruning.</param>
/// <param name="Elapsed">Time to define the views and run the query.</param>
public sealed record QueryStats(int Scans, long FilesRead, long FilesConsidered, TimeSpan Elapsed)
{
    /// <summary>Files the views leave out because DuckDB cannot read them, each with why. Default none.</summary>
    public IReadOnlyList<string> SkippedFiles { get; init; } = [];
}
