using Oxbow.Daemon.Stats;
using Oxbow.Transport;

namespace Oxbow.Daemon.Metrics;

/// <summary>
/// Every metric the daemon reports, read from its live state in one pass. <c>/metrics</c> formats the list as
/// Prometheus text and <see cref="DaemonMeter"/> reports the same list through <c>System.Diagnostics.Metrics</c>,
/// so the two can never disagree on names or meaning.
/// </summary>
internal static class DaemonMetrics
{
    public static List<MetricFamily> Read(DaemonStatus status)
    {
        var families = new List<MetricFamily>(64);
        var stats = status.Stats;
        families.Add(new("oxbow_events_received", MetricKind.Counter, "Events accepted, by type.",
            [.. stats.Types.Select(t => new MetricSample(t.Value.Events, "type", t.Key))]));
        families.Add(new("oxbow_bytes_received", MetricKind.Counter, "Bytes of events accepted, by type.",
            [.. stats.Types.Select(t => new MetricSample(t.Value.Bytes, "type", t.Key))]));
        families.Add(new("oxbow_host_events_received", MetricKind.Counter, "Events accepted, by source host.",
            [.. stats.Hosts.Select(h => new MetricSample(h.Value.Events, "host", h.Key))]));
        families.Add(new("oxbow_rejects", MetricKind.Counter, "Frames, batches and requests refused, by reason.",
            [.. stats.Rejects().Select(r => new MetricSample(r.Count, "reason", RejectReasons.Name(r.Reason)))]));
        foreach (var (name, count) in stats.Counters())
        {
            Counter(families, $"oxbow_{name}", DaemonCounters.Help(name), count);
        }

        Gauge(families, "oxbow_ingest_connections", "Open ingest connections.", stats.Connections);
        var spool = status.Spool.Stats;
        Gauge(families, "oxbow_spool_pending_events", "Events in the spool not yet stored or forwarded.", spool.PendingEvents);
        Gauge(families, "oxbow_spool_bytes", "Bytes of spool segment files.", spool.Bytes);
        Gauge(families, "oxbow_spool_max_bytes", "The spool's size bound.", spool.MaxBytes);
        Counter(families, "oxbow_spool_duplicate_batches", "Retried batches recognised and not stored again.", spool.DuplicateBatches);
        Counter(families, "oxbow_spool_full_rejects", "Batches refused because the spool was full.", spool.FullRejects);
        Counter(families, "oxbow_spool_dropped_events", "Undelivered events dropped by the drop-oldest policy.", spool.DroppedEvents);
        Counter(families, "oxbow_spool_skipped_records", "Torn or corrupt spool records skipped.", spool.SkippedRecords);
        Counter(families, "oxbow_spool_appended_bytes", "Bytes of batches acknowledged (their data).", spool.AppendedBytes);
        Counter(families, "oxbow_spool_fsyncs", "fsyncs of spool segment files and their directory.", spool.Fsyncs);
        Counter(families, "oxbow_spool_written_bytes", "Bytes written to spool segment files (divide by appended bytes for the write cost of a byte).", spool.BytesWritten);
        Gauge(families, "oxbow_spool_recovery_milliseconds", "How long the spool took to open and recover at start-up.", (long)spool.RecoveryTime.TotalMilliseconds);
        if (status.Store is { } store)
        {
            var s = store.Stats;
            Counter(families, "oxbow_store_events", "Events written to the partitioned store.", s.Events);
            Counter(families, "oxbow_store_bytes", "Bytes written to the partitioned store.", s.Bytes);
            Gauge(families, "oxbow_store_open_files", "Store files open for writing.", s.OpenFiles);
            Counter(families, "oxbow_store_sealed_files", "Store files sealed (gzipped).", s.SealedFiles);
            Counter(families, "oxbow_store_recovery_discarded_bytes", "Unacknowledged bytes cut from store files at start-up.", s.RecoveryDiscardedBytes);
            Counter(families, "oxbow_store_recovery_missing_bytes", "Acknowledged bytes found missing from store files at start-up.", s.RecoveryMissingBytes);
            Counter(families, "oxbow_store_files_recreated", "Open partition files found removed from outside and recreated before an acknowledgement.", s.FilesRecreated);
            Gauge(families, "oxbow_store_max_open_files", "The bound on store files open for writing.", s.MaxOpenFiles);
            Counter(families, "oxbow_store_files_closed_by_bound", "Store files closed and sealed early to stay within the bound on open files.", s.FilesClosedByBound);
            Counter(families, "oxbow_store_recovery_corrupt_batches", "Acknowledged batches whose bytes failed their checksum at start-up.", s.RecoveryCorruptBatches);
            Counter(families, "oxbow_store_fsyncs", "fsyncs of partition files, their intents and sealed files (the spool counts its own).", s.Fsyncs);
            Gauge(families, "oxbow_store_recovery_milliseconds", "How long the store took to recover at start-up.", (long)s.RecoveryTime.TotalMilliseconds);
        }

        if (status.Compaction is { } compaction)
        {
            var c = compaction.Counters;
            Counter(families, "oxbow_compacted_hours", "Hours compacted into Parquet.", c.Hours);
            Counter(families, "oxbow_compacted_events", "Events written into Parquet by compaction.", c.Events);
            Counter(families, "oxbow_compaction_failures", "Hours whose compaction failed (retried next round).", c.Failures);
        }

        if (status.Forwarder is { } forwarder)
        {
            Counter(families, "oxbow_forwarded_events", "Events acknowledged by the upstream.", forwarder.ForwardedEvents);
            Counter(families, "oxbow_forward_rejected_events", "Events the upstream refused for good.", forwarder.RejectedEvents);
            Gauge(families, "oxbow_upstream_connected", "1 when connected to an upstream.", forwarder.Upstream.Connected is null ? 0 : 1);
            Counter(families, "oxbow_upstream_failovers", "Switches to another upstream.", forwarder.Upstream.Failovers);
        }

        Gauge(families, "oxbow_tail_subscribers", "Live tail subscribers.", status.Tail.Subscribers);
        Counter(families, "oxbow_tail_dropped", "Events dropped for slow tail subscribers.", status.Tail.Dropped);
        Gauge(families, "oxbow_process_working_set_bytes", "Resident memory of the daemon.", Environment.WorkingSet);
        Counter(families, "oxbow_process_jit_methods", "Methods JIT-compiled so far; it levels off once the daemon is warm.", System.Runtime.JitInfo.GetCompiledMethodCount());
        return families;
    }

    private static void Counter(List<MetricFamily> families, string name, string help, long value) =>
        families.Add(new(name, MetricKind.Counter, help, [new MetricSample(value)]));

    private static void Gauge(List<MetricFamily> families, string name, string help, long value) =>
        families.Add(new(name, MetricKind.Gauge, help, [new MetricSample(value)]));
}
