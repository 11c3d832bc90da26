using Oxbow.Transport;

namespace Oxbow.Daemon.Spool;

/// <summary>A segment file of the spool, as the spool tracks it (under its state lock).</summary>
internal sealed class SpoolSegment(long number, string path)
{
    public long Number { get; } = number;

    public string Path { get; } = path;

    /// <summary>The end of its last record, durable or not: where the next record goes.</summary>
    public long Length { get; set; }

    /// <summary>Its records say where a placement put the data (<c>OXSPOOL2</c>) rather than hold it.</summary>
    public bool Placed { get; set; }

    public List<SpoolRecordInfo> Records { get; } = [];
}

/// <summary>What the spool remembers of a record without its data: where it is, its events, its batch id.</summary>
internal readonly record struct SpoolRecordInfo(long Offset, int Events, BatchId Id);
