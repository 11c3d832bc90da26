namespace Oxbow.Daemon.Spool;

/// <summary>A place in the spool: a segment number and a byte offset in it. Positions order like the records.</summary>
internal readonly record struct SpoolPosition(long Segment, long Offset) : IComparable<SpoolPosition>
{
    /// <inheritdoc/>
    public int CompareTo(SpoolPosition other) =>
        Segment != other.Segment ? Segment.CompareTo(other.Segment) : Offset.CompareTo(other.Offset);

    /// <summary>Whether <paramref name="a"/> comes before <paramref name="b"/>.</summary>
    public static bool operator <(SpoolPosition a, SpoolPosition b) => a.CompareTo(b) < 0;

    /// <summary>Whether <paramref name="a"/> comes after <paramref name="b"/>.</summary>
    public static bool operator >(SpoolPosition a, SpoolPosition b) => a.CompareTo(b) > 0;

    /// <summary>Whether <paramref name="a"/> is at or before <paramref name="b"/>.</summary>
    public static bool operator <=(SpoolPosition a, SpoolPosition b) => a.CompareTo(b) <= 0;

    /// <summary>Whether <paramref name="a"/> is at or after <paramref name="b"/>.</summary>
    public static bool operator >=(SpoolPosition a, SpoolPosition b) => a.CompareTo(b) >= 0;
}

/// <summary>One accepted batch read back from the spool. <see cref="Data"/> is NDJSON and belongs to the caller.</summary>
internal sealed record SpoolRecord(SpoolPosition Position, SpoolPosition Next, Transport.BatchId BatchId, int EventCount, ReadOnlyMemory<byte> Data);

/// <summary>The outcome of <see cref="SpoolLog.AppendAsync"/>.</summary>
internal enum AppendResult
{
    /// <summary>The batch is on disk (fsync done).</summary>
    Durable,

    /// <summary>A batch with this id was already accepted; nothing was written, and the earlier copy is durable.</summary>
    Duplicate,

    /// <summary>The spool is full under <see cref="SpoolFullPolicy.Backpressure"/>; try again later.</summary>
    Full,

    /// <summary>Writing or syncing failed; try again later.</summary>
    Failed,

    /// <summary>Writing or syncing failed because the disk (or a quota) is full; try again once space is freed.</summary>
    DiskFull,
}
