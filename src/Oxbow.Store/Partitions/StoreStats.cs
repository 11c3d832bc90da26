namespace Oxbow.Store.Partitions;

/// <summary>Store counters.</summary>
internal sealed record StoreStats(long Events, long Bytes, int OpenFiles, long SealedFiles, long UnreadableLines)
{
    /// <summary>Bytes found past the last acknowledged batch at start-up (a kill mid-batch), cut or removed with their files.</summary>
    public long RecoveryDiscardedBytes { get; init; }

    /// <summary>Files created for batches that were never acknowledged, removed at start-up.</summary>
    public long RecoveryDiscardedFiles { get; init; }

    /// <summary>Acknowledged bytes missing from files at start-up: damage from outside; never expected.</summary>
    public long RecoveryMissingBytes { get; init; }

    /// <summary>Acknowledged batches whose bytes no longer match their checksum at start-up: damage; never expected.</summary>
    public long RecoveryCorruptBatches { get; init; }

    /// <summary>Open partition files found removed (or replaced) from outside and recreated, whole, before an acknowledgement.</summary>
    public long FilesRecreated { get; init; }

    /// <summary>Files closed and sealed early to keep the open files within <see cref="MaxOpenFiles"/>.</summary>
    public long FilesClosedByBound { get; init; }

    /// <summary>The bound on open partition files (<see cref="StorageOptions.MaxOpenFiles"/>).</summary>
    public int MaxOpenFiles { get; init; }

    /// <summary>fsyncs of partition files, their intents and sealed files (the store's part of the disk cost; the spool counts its own).</summary>
    public long Fsyncs { get; init; }

    /// <summary>How long the store's recovery took at start-up (cutting files back, checking recent batches).</summary>
    public TimeSpan RecoveryTime { get; init; }
}
