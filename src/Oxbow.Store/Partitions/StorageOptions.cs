namespace Oxbow.Store.Partitions;

/// <summary>Settings of the collector's partitioned store.</summary>
public sealed class StorageOptions
{
    /// <summary>The store's root, <c>DATA</c>. Required.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>The collector's name, the readable part of its id (see <see cref="PartitionStore.CollectorId"/>). Default empty.</summary>
    public string CollectorName { get; init; } = "";

    /// <summary>A partition file is sealed (gzipped) once it reaches this size. Default 128 MiB.</summary>
    public long MaxFileBytes { get; init; } = 128L << 20;

    /// <summary>A partition file that received nothing for this long is sealed. Default 5 minutes.</summary>
    public TimeSpan SealAfterIdle { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The most partition files held open at once. Events choose their own hour, so a backfill can touch thousands of
    /// partitions; past this bound the least recently written file is closed and sealed (its partition's next event
    /// starts a new file), so file descriptors stay bounded during ingest and at restart. Default 256.
    /// </summary>
    public int MaxOpenFiles { get; init; } = 256;

    /// <summary>
    /// How often the ledger records every open file's committed length, so the spool's records before it can go
    /// (each batch is fsynced before it is acknowledged, whatever this is). Default 250 ms.
    /// </summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromMilliseconds(250);
}
