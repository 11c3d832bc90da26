using Oxbow.Store;
namespace Oxbow.Store.Compaction;

/// <summary>What one hour's compaction did.</summary>
/// <param name="Partition">The hour.</param>
/// <param name="Inputs">Files replaced.</param>
/// <param name="Events">Events newly compacted (from NDJSON; rows carried over from an earlier Parquet file of the hour are not counted).</param>
/// <param name="InputBytes">Bytes of the replaced files.</param>
/// <param name="OutputBytes">Bytes of the new file.</param>
/// <param name="Output">The new file, when one was written.</param>
/// <param name="Error">Why the hour failed, when it did (its inputs are untouched).</param>
public sealed record HourCompaction(Partition Partition, int Inputs, long Events, long InputBytes, long OutputBytes, string? Output, string? Error)
{
    /// <summary>Files of the hour left out because the collector may still append to them.</summary>
    public int OpenFiles { get; init; }

    /// <summary>Committed Parquet files of the hour that got their lookup index in this run (they had none).</summary>
    public int Indexed { get; init; }

    /// <summary>Files of the hour left where they are because DuckDB cannot read them (queries leave them out too).</summary>
    public IReadOnlyList<string> Unreadable { get; init; } = [];
}

/// <summary>What a compaction run did.</summary>
/// <param name="Hours">Hours compacted or failed.</param>
/// <param name="Failures">One line per failed hour.</param>
public sealed record CompactionSummary(IReadOnlyList<HourCompaction> Hours, IReadOnlyList<string> Failures)
{
    /// <summary>Events newly compacted into Parquet.</summary>
    public long Events => Hours.Sum(h => h.Events);

    /// <summary>Files left out because the collector may still append to them.</summary>
    public int OpenFiles => Hours.Sum(h => h.OpenFiles);
}
