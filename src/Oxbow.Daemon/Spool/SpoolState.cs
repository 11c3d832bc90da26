using Oxbow.Store.Files;

namespace Oxbow.Daemon.Spool;

/// <summary>
/// The spool's picture of its segments, positions and counts, shared by the writer (appends and rolls), the reader and
/// the consumer's commits. Everything here is read and changed under <see cref="Gate"/>; files are never touched
/// while holding it.
/// </summary>
internal sealed class SpoolState(IDurableFileSystem files, DedupWindow dedup)
{
    public object Gate { get; } = new();

    /// <summary>Live segments in order; the last is the active one once the spool is open.</summary>
    public List<SpoolSegment> Segments { get; } = [];

    public SpoolSegment Active { get; set; } = null!;

    /// <summary>The end of what is durable: every record before it is on disk (and placed, with a placement).</summary>
    public SpoolPosition DurableEnd { get; set; }

    /// <summary>Everything before it is delivered or stored (committed, or dropped as oldest).</summary>
    public SpoolPosition Done { get; set; }

    public long PendingRecords { get; set; }

    public long PendingEvents { get; set; }

    /// <summary>Bytes of all live segment files, headers included.</summary>
    public long TotalBytes { get; set; }

    public long DroppedRecords { get; set; }

    public long DroppedEvents { get; set; }

    public long SkippedRecords { get; set; }

    public long SkippedBytes { get; set; }

    /// <summary>Records made durable recently, for a consumer that keeps up (see <see cref="RecentRecords"/>).</summary>
    public RecentRecords Recent { get; } = new();

    /// <summary>
    /// Segments retired whose file is not deleted yet (a delete failed): still on disk, so still in
    /// <see cref="TotalBytes"/>, and deleted again at the next retirement.
    /// </summary>
    public List<SpoolSegment> Undeleted { get; } = [];

    /// <summary>
    /// Deletes a segment: its batch ids are saved to the dedup window's file first (so a late retry of one is still
    /// recognised), then the file goes. A segment dropped to make room counts its undelivered records as dropped.
    /// Its bytes leave <see cref="TotalBytes"/> only once its file is gone, so the bound holds on disk.
    /// </summary>
    public void Retire(SpoolSegment segment, bool countAsDropped)
    {
        lock (Gate)
        {
            if (!Segments.Remove(segment))
            {
                return;
            }

            Undeleted.Add(segment);
            if (countAsDropped)
            {
                foreach (var record in segment.Records)
                {
                    if (new SpoolPosition(segment.Number, record.Offset) >= Done)
                    {
                        DroppedRecords++;
                        DroppedEvents += record.Events;
                        PendingRecords--;
                        PendingEvents -= record.Events;
                    }
                }

                if (Done.Segment <= segment.Number)
                {
                    Done = new SpoolPosition(segment.Number + 1, Format.SpoolSegmentFormat.HeaderLength);
                }
            }
        }

        if (countAsDropped)
        {
            OxbowDaemonLog.Warning("spool_dropped_oldest", "segment", segment.Number, "events", segment.Records.Sum(r => (long)r.Events));
        }

        DeleteUndeleted();
    }

    private void DeleteUndeleted()
    {
        List<SpoolSegment> pending;
        lock (Gate)
        {
            pending = [.. Undeleted];
        }

        foreach (var segment in pending)
        {
            try
            {
                dedup.Persist(segment.Records.Select(r => r.Id).ToArray());
                files.Delete(segment.Path);
            }
            catch (IOException ex)
            {
                OxbowDaemonLog.Error("spool_delete_failed", ex);
                return;
            }

            lock (Gate)
            {
                Undeleted.Remove(segment);
                TotalBytes -= segment.Length;
            }

            try
            {
                // Made durable at once: a segment dropped for room that a power cut brought back would put the
                // spool over its bound (the model test found it). Should this fail, the next sync covers it.
                files.SyncDirectory(Path.GetDirectoryName(segment.Path)!);
            }
            catch (IOException ex)
            {
                OxbowDaemonLog.Error("spool_delete_failed", ex);
            }
        }
    }
}
