using Oxbow.Daemon.Spool.Format;
using Oxbow.Store.Files;
using Oxbow.Transport;

namespace Oxbow.Daemon.Spool;

/// <summary>A record recovery found past the committed position, with its data when a placement needs it back.</summary>
internal readonly record struct RecoveredRecord(long Segment, SpoolRecordInfo Info, bool Placed, ReadOnlyMemory<byte> Data);

/// <summary>Where recovery cuts a segment: at <see cref="Offset"/>, losing <see cref="Bytes"/> of a torn or corrupt tail.</summary>
internal readonly record struct SpoolCut(string Path, long Segment, long Offset, long Bytes, RecordStatus Status);

/// <summary>
/// What is on disk and what to do about it after a restart, worked out without changing anything: which segments
/// hold which records, where a torn or corrupt tail is cut, which segments are wholly done, and which records come
/// after the committed position. Recovery never pads or guesses: a segment ends at its last whole, checked record.
/// </summary>
internal sealed class SpoolRecoveryPlan
{
    /// <summary>Every readable segment in order, each with its records and its length cut to the last valid one.</summary>
    public required IReadOnlyList<SpoolSegment> Segments { get; init; }

    /// <summary>Tails to cut: a crash mid-write (torn) or damage (corrupt). Everything after a bad record in its segment goes.</summary>
    public required IReadOnlyList<SpoolCut> Cuts { get; init; }

    /// <summary>Segments to delete: wholly before the committed position, empty, a torn header, or (without a placement) a collector's.</summary>
    public required IReadOnlyList<SpoolSegment> Done { get; init; }

    /// <summary>The records past the committed position, in order: pending for the consumer (or for the placement to restore).</summary>
    public required IReadOnlyList<RecoveredRecord> Pending { get; init; }

    /// <summary>Records skipped because an agent cannot deliver them (a collector's placement records), with their bytes.</summary>
    public required (long Records, long Bytes) Undeliverable { get; init; }
}

/// <summary>Recovery of the spool's segments, as a function from what is on disk to a <see cref="SpoolRecoveryPlan"/>.</summary>
internal static class SpoolRecovery
{
    /// <summary>
    /// Reads every segment in <paramref name="directory"/> and plans recovery from the committed position
    /// <paramref name="done"/>. <paramref name="withPlacement"/>: the pending records' data is read back (the placement
    /// restores from it); without, only their counts are kept, and a collector's segments are not deliverable.
    /// </summary>
    public static SpoolRecoveryPlan Plan(IDurableFileSystem files, string directory, SpoolPosition done, bool withPlacement)
    {
        List<SpoolSegment> segments = [];
        List<SpoolSegment> finished = [];
        List<SpoolCut> cuts = [];
        List<RecoveredRecord> pending = [];
        long undeliverable = 0, undeliverableBytes = 0;
        var paths = files.ListFiles(directory, SpoolSegmentFormat.Suffix)
            .Select(path => (Path: path, Number: SpoolSegmentFormat.NumberOf(path)))
            .Where(f => f.Number > 0)
            .OrderBy(f => f.Number);
        Span<byte> header = stackalloc byte[SpoolSegmentFormat.HeaderLength];
        foreach (var (path, number) in paths)
        {
            var segment = new SpoolSegment(number, path);
            using var file = files.Open(path);
            var fileLength = file.Length;
            if (fileLength < SpoolSegmentFormat.HeaderLength || file.Read(header, 0) < header.Length)
            {
                // Killed while creating it: nothing in it was ever acknowledged.
                finished.Add(segment);
                continue;
            }

            segment.Placed = SpoolSegmentFormat.IsPlaced(header);
            long offset = SpoolSegmentFormat.HeaderLength;
            while (offset < fileLength)
            {
                var status = SpoolRecordReader.Read(file, offset, fileLength, out var head, out var data);
                if (status != RecordStatus.Valid)
                {
                    cuts.Add(new SpoolCut(path, number, offset, fileLength - offset, status));
                    break;
                }

                var info = new SpoolRecordInfo(offset, SpoolRecordFormat.EventCountOf(head), SpoolRecordFormat.BatchIdOf(head));
                segment.Records.Add(info);
                var size = SpoolRecordFormat.Size(data.Length);
                if (new SpoolPosition(number, offset) >= done)
                {
                    if (withPlacement)
                    {
                        pending.Add(new RecoveredRecord(number, info, segment.Placed, data));
                    }
                    else if (segment.Placed)
                    {
                        // Written by a collector: it says where data went, and there is nothing to forward.
                        undeliverable++;
                        undeliverableBytes += size;
                    }
                    else
                    {
                        pending.Add(new RecoveredRecord(number, info, Placed: false, default));
                    }
                }

                offset += size;
            }

            segment.Length = offset;
            var wholeDone = number < done.Segment || (number == done.Segment && done.Offset >= segment.Length);
            // An empty segment (the active one when the process stopped) holds nothing: a new one is started anyway.
            if (wholeDone || segment.Records.Count == 0 || (!withPlacement && segment.Placed))
            {
                finished.Add(segment);
            }

            segments.Add(segment);
        }

        return new SpoolRecoveryPlan { Segments = segments, Cuts = cuts, Done = finished, Pending = pending, Undeliverable = (undeliverable, undeliverableBytes) };
    }

    /// <summary>Cuts the torn and corrupt tails the plan found, saying so in the log.</summary>
    public static void Cut(IDurableFileSystem files, SpoolRecoveryPlan plan)
    {
        foreach (var cut in plan.Cuts)
        {
            OxbowDaemonLog.Warning(cut.Status == RecordStatus.Torn ? "spool_torn_tail_cut" : "spool_corrupt_tail_cut", "segment", cut.Segment, "offset", cut.Offset, "bytes", cut.Bytes);
            using var file = files.Open(cut.Path);
            file.SetLength(cut.Offset);
            file.Flush();
        }
    }
}
