using Oxbow.Store.Partitions;
namespace Oxbow.Daemon.Spool;

/// <summary>What the spool does when accepting a batch would take it over <see cref="SpoolOptions.MaxBytes"/>.</summary>
public enum SpoolFullPolicy
{
    /// <summary>Refuse the batch (senders see <c>Busy</c>, HTTP 429) until delivery frees space. Nothing accepted is lost.</summary>
    Backpressure,

    /// <summary>Delete the oldest sealed segment, undelivered events and all, and count them as dropped.</summary>
    DropOldest,
}

/// <summary>Settings of the disk spool.</summary>
public sealed class SpoolOptions
{
    /// <summary>Directory of segment files and the ledger. Required.</summary>
    public required string Directory { get; init; }

    /// <summary>
    /// Most bytes the segment files may take together. Default 1 GiB. Not enforced with an
    /// <see cref="IBatchPlacement"/>: its records are small, and a segment goes once a checkpoint has passed its end.
    /// </summary>
    public long MaxBytes { get; init; } = 1L << 30;

    /// <summary>A segment is sealed and a new one started once it reaches this size. Default 64 MiB, and never more than a quarter of <see cref="MaxBytes"/>.</summary>
    public long SegmentBytes { get; init; } = 64L << 20;

    /// <summary>What to do when full (without a placement). Default <see cref="SpoolFullPolicy.Backpressure"/>.</summary>
    public SpoolFullPolicy FullPolicy { get; init; } = SpoolFullPolicy.Backpressure;

    /// <summary>How many batch ids of delivered batches are remembered to recognise retries. Default 262,144.</summary>
    public int DedupWindow { get; init; } = 1 << 18;

    /// <summary>The smallest segment size <see cref="SegmentBytes"/> is raised to: 1 MiB (tests use tiny segments to roll often).</summary>
    internal long SegmentFloor { get; init; } = 1 << 20;

    internal long EffectiveSegmentBytes => Math.Max(SegmentFloor, Math.Min(SegmentBytes, MaxBytes / 4));
}
