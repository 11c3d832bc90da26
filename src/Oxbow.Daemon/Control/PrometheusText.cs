using System.Globalization;
using System.Text;
using Oxbow.Daemon.Stats;
using Oxbow.Transport;

namespace Oxbow.Daemon.Control;

/// <summary>The <c>/metrics</c> page in Prometheus text exposition format 0.0.4.</summary>
internal static class PrometheusText
{
    public static string Write(DaemonStatus status)
    {
        var text = new StringBuilder(4096);
        var stats = status.Stats;
        Family(text, "oxbow_events_received_total", "counter", "Events accepted, by type.");
        foreach (var (type, counters) in stats.Types)
        {
            Sample(text, "oxbow_events_received_total", counters.Events, ("type", type));
        }

        Family(text, "oxbow_bytes_received_total", "counter", "Bytes of events accepted, by type.");
        foreach (var (type, counters) in stats.Types)
        {
            Sample(text, "oxbow_bytes_received_total", counters.Bytes, ("type", type));
        }

        Family(text, "oxbow_host_events_received_total", "counter", "Events accepted, by source host.");
        foreach (var (host, counters) in stats.Hosts)
        {
            Sample(text, "oxbow_host_events_received_total", counters.Events, ("host", host));
        }

        Family(text, "oxbow_rejects_total", "counter", "Frames, batches and requests refused, by reason.");
        foreach (var (reason, count) in stats.Rejects())
        {
            Sample(text, "oxbow_rejects_total", count, ("reason", RejectReasons.Name(reason)));
        }

        foreach (var (name, count) in stats.Counters())
        {
            Counter(text, $"oxbow_{name}_total", DaemonCounters.Help(name), count);
        }

        Gauge(text, "oxbow_ingest_connections", "Open ingest connections.", stats.Connections);
        var spool = status.Spool.Stats;
        Gauge(text, "oxbow_spool_pending_events", "Events in the spool not yet stored or forwarded.", spool.PendingEvents);
        Gauge(text, "oxbow_spool_bytes", "Bytes of spool segment files.", spool.Bytes);
        Gauge(text, "oxbow_spool_max_bytes", "The spool's size bound.", spool.MaxBytes);
        Counter(text, "oxbow_spool_duplicate_batches_total", "Retried batches recognised and not stored again.", spool.DuplicateBatches);
        Counter(text, "oxbow_spool_full_rejects_total", "Batches refused because the spool was full.", spool.FullRejects);
        Counter(text, "oxbow_spool_dropped_events_total", "Undelivered events dropped by the drop-oldest policy.", spool.DroppedEvents);
        Counter(text, "oxbow_spool_skipped_records_total", "Torn or corrupt spool records skipped.", spool.SkippedRecords);
        if (status.Store is { } store)
        {
            var s = store.Stats;
            Counter(text, "oxbow_store_events_total", "Events written to the partitioned store.", s.Events);
            Counter(text, "oxbow_store_bytes_total", "Bytes written to the partitioned store.", s.Bytes);
            Gauge(text, "oxbow_store_open_files", "Store files open for writing.", s.OpenFiles);
            Counter(text, "oxbow_store_sealed_files_total", "Store files sealed (gzipped).", s.SealedFiles);
            Counter(text, "oxbow_store_recovery_discarded_bytes_total", "Unacknowledged bytes cut from store files at start-up.", s.RecoveryDiscardedBytes);
            Counter(text, "oxbow_store_recovery_missing_bytes_total", "Acknowledged bytes found missing from store files at start-up.", s.RecoveryMissingBytes);
            Counter(text, "oxbow_store_files_recreated_total", "Open partition files found removed from outside and recreated before an acknowledgement.", s.FilesRecreated);
            Gauge(text, "oxbow_store_max_open_files", "The bound on store files open for writing.", s.MaxOpenFiles);
            Counter(text, "oxbow_store_files_closed_by_bound_total", "Store files closed and sealed early to stay within the bound on open files.", s.FilesClosedByBound);
            Counter(text, "oxbow_store_recovery_corrupt_batches_total", "Acknowledged batches whose bytes failed their checksum at start-up.", s.RecoveryCorruptBatches);
        }

        if (status.Compaction is { } compaction)
        {
            var c = compaction.Counters;
            Counter(text, "oxbow_compacted_hours_total", "Hours compacted into Parquet.", c.Hours);
            Counter(text, "oxbow_compacted_events_total", "Events written into Parquet by compaction.", c.Events);
            Counter(text, "oxbow_compaction_failures_total", "Hours whose compaction failed (retried next round).", c.Failures);
        }

        if (status.Forwarder is { } forwarder)
        {
            Counter(text, "oxbow_forwarded_events_total", "Events acknowledged by the upstream.", forwarder.ForwardedEvents);
            Counter(text, "oxbow_forward_rejected_events_total", "Events the upstream refused for good.", forwarder.RejectedEvents);
            Gauge(text, "oxbow_upstream_connected", "1 when connected to an upstream.", forwarder.Upstream.Connected is null ? 0 : 1);
            Counter(text, "oxbow_upstream_failovers_total", "Switches to another upstream.", forwarder.Upstream.Failovers);
        }

        Gauge(text, "oxbow_tail_subscribers", "Live tail subscribers.", status.Tail.Subscribers);
        Counter(text, "oxbow_tail_dropped_total", "Events dropped for slow tail subscribers.", status.Tail.Dropped);
        Gauge(text, "oxbow_process_working_set_bytes", "Resident memory of the daemon.", Environment.WorkingSet);
        Counter(text, "oxbow_process_jit_methods_total", "Methods JIT-compiled so far; it levels off once the daemon is warm.", System.Runtime.JitInfo.GetCompiledMethodCount());
        return text.ToString();
    }

    private static void Family(StringBuilder text, string name, string type, string help) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Gauge(StringBuilder text, string name, string help, long value)
    {
        Family(text, name, "gauge", help);
        Sample(text, name, value);
    }

    private static void Counter(StringBuilder text, string name, string help, long value)
    {
        Family(text, name, "counter", help);
        Sample(text, name, value);
    }

    private static void Sample(StringBuilder text, string name, long value, params (string Name, string Value)[] labels)
    {
        text.Append(name);
        if (labels.Length > 0)
        {
            text.Append('{');
            for (var i = 0; i < labels.Length; i++)
            {
                text.Append(i == 0 ? "" : ",").Append(labels[i].Name).Append("=\"")
                    .Append(labels[i].Value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n")).Append('"');
            }

            text.Append('}');
        }

        text.Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }
}
