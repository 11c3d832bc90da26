using Oxbow.Store.Files;

namespace Oxbow.Store.Partitions;

/// <summary>One open partition file and where the batch being placed stands in it.</summary>
internal sealed class PartitionFile(string key, string relative, IDurableFile handle, long length)
{
    public string Key { get; } = key;

    public string Relative { get; } = relative;

    /// <summary>Replaced when the file was removed from under the collector and recreated.</summary>
    public IDurableFile Handle { get; set; } = handle;

    public long Length { get; set; } = length;

    /// <summary>The length once every batch acknowledged so far is in: what recovery cuts back to.</summary>
    public long CommittedLength { get; set; }

    /// <summary>Where the batch being placed starts in this file (its bytes here are contiguous).</summary>
    public long BatchStart { get; set; }

    /// <summary>The CRC-32C of the batch being placed's bytes in this file, so far.</summary>
    public uint BatchChecksum { get; set; }

    public long LastWriteTicks { get; set; }

    /// <summary>False from its creation until its directory entry (and those of its new directories) is synced.</summary>
    public bool Linked { get; set; }

    /// <summary>When it was last chosen for an event, on the store's own clock: the least recently used is closed first.</summary>
    public long LastUse { get; set; }
}
