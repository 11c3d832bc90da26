using System.Buffers;
using System.Text;
using System.Text.Json;
using Oxbow.Daemon.Stats;
using Oxbow.Transport;

namespace Oxbow.Daemon.Control;

/// <summary>The <c>/v1/stats</c> document (docs/daemon.md lists its fields).</summary>
internal static class StatsJson
{
    public static string Write(DaemonStatus status)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            var now = DateTime.UtcNow;
            json.WriteStartObject();
            json.WriteString("name", status.Options.Name);
            json.WriteString("role", status.Options.IsAgent ? "agent" : "collector");
            json.WriteString("started", Timestamps.Format(status.StartedUtc));
            json.WriteNumber("uptime_seconds", Math.Round((now - status.StartedUtc).TotalSeconds, 3));
            var stats = status.Stats;
            json.WriteStartObject("ingest");
            json.WriteNumber("connections", stats.Connections);
            json.WriteNumber("connections_total", stats.ConnectionsTotal);
            json.WriteNumber("batches", stats.Batches);
            json.WriteNumber("partial_bytes_held", status.Limits?.HeldBytes ?? 0);
            json.WriteEndObject();
            WriteStreams(json, "types", stats.Types);
            WriteStreams(json, "hosts", stats.Hosts);
            json.WriteStartObject("rejects");
            foreach (var (reason, count) in stats.Rejects())
            {
                json.WriteNumber(RejectReasons.Name(reason), count);
            }

            json.WriteEndObject();
            json.WriteStartObject("counters");
            foreach (var (name, count) in stats.Counters())
            {
                json.WriteNumber(name, count);
            }

            json.WriteEndObject();
            var spool = status.Spool.Stats;
            json.WriteStartObject("spool");
            json.WriteNumber("pending_events", spool.PendingEvents);
            json.WriteNumber("pending_batches", spool.PendingRecords);
            json.WriteNumber("bytes", spool.Bytes);
            json.WriteNumber("max_bytes", spool.MaxBytes);
            json.WriteNumber("segments", spool.Segments);
            json.WriteNumber("appended_batches", spool.AppendedBatches);
            json.WriteNumber("appended_events", spool.AppendedEvents);
            json.WriteNumber("duplicate_batches", spool.DuplicateBatches);
            json.WriteNumber("full_rejects", spool.FullRejects);
            json.WriteNumber("failed_appends", spool.FailedAppends);
            json.WriteNumber("dropped_batches", spool.DroppedBatches);
            json.WriteNumber("dropped_events", spool.DroppedEvents);
            json.WriteNumber("skipped_records", spool.SkippedRecords);
            json.WriteNumber("skipped_bytes", spool.SkippedBytes);
            json.WriteNumber("appended_bytes", spool.AppendedBytes);
            json.WriteNumber("fsyncs", spool.Fsyncs);
            json.WriteNumber("bytes_written", spool.BytesWritten);
            json.WriteNumber("recovery_seconds", Math.Round(spool.RecoveryTime.TotalSeconds, 3));
            json.WriteEndObject();
            if (status.Store is { } store)
            {
                var s = store.Stats;
                json.WriteStartObject("store");
                json.WriteString("collector_id", store.CollectorId);
                json.WriteNumber("events", s.Events);
                json.WriteNumber("bytes", s.Bytes);
                json.WriteNumber("open_files", s.OpenFiles);
                json.WriteNumber("sealed_files", s.SealedFiles);
                json.WriteNumber("unreadable_lines", s.UnreadableLines);
                json.WriteNumber("recovery_discarded_bytes", s.RecoveryDiscardedBytes);
                json.WriteNumber("recovery_discarded_files", s.RecoveryDiscardedFiles);
                json.WriteNumber("recovery_missing_bytes", s.RecoveryMissingBytes);
                json.WriteNumber("files_recreated", s.FilesRecreated);
                json.WriteNumber("max_open_files", s.MaxOpenFiles);
                json.WriteNumber("files_closed_by_bound", s.FilesClosedByBound);
                json.WriteNumber("recovery_corrupt_batches", s.RecoveryCorruptBatches);
                json.WriteNumber("fsyncs", s.Fsyncs);
                json.WriteNumber("recovery_seconds", Math.Round(s.RecoveryTime.TotalSeconds, 3));
                json.WriteEndObject();
            }

            if (status.Compaction is { } compaction)
            {
                var c = compaction.Counters;
                json.WriteStartObject("compaction");
                json.WriteNumber("runs", c.Runs);
                json.WriteNumber("hours", c.Hours);
                json.WriteNumber("events", c.Events);
                json.WriteNumber("failures", c.Failures);
                json.WriteEndObject();
            }

            if (status.Forwarder is { } forwarder)
            {
                var upstream = forwarder.Upstream;
                json.WriteStartObject("upstream");
                json.WriteStartArray("endpoints");
                foreach (var endpoint in upstream.Endpoints)
                {
                    json.WriteStringValue(endpoint);
                }

                json.WriteEndArray();
                json.WriteString("connected", upstream.Connected);
                json.WriteString("state", upstream.Connected is null ? "disconnected" : "connected");
                if (upstream.ConnectedSinceUtc is { } since)
                {
                    json.WriteString("connected_since", Timestamps.Format(since));
                }

                json.WriteString("last_error", upstream.LastError);
                json.WriteNumber("connects", upstream.Connects);
                json.WriteNumber("failovers", upstream.Failovers);
                json.WriteNumber("in_flight_batches", upstream.InFlight);
                json.WriteNumber("forwarded_events", forwarder.ForwardedEvents);
                json.WriteNumber("forwarded_batches", forwarder.ForwardedBatches);
                json.WriteNumber("rejected_events", forwarder.RejectedEvents);
                json.WriteEndObject();
            }

            json.WriteStartObject("tail");
            json.WriteNumber("subscribers", status.Tail.Subscribers);
            json.WriteNumber("delivered", status.Tail.Delivered);
            json.WriteNumber("dropped", status.Tail.Dropped);
            json.WriteEndObject();
            json.WriteStartObject("process");
            json.WriteNumber("working_set_bytes", Environment.WorkingSet);
            json.WriteNumber("gc_heap_bytes", GC.GetTotalMemory(false));
            // The JIT keeps promoting hot methods for the first few million events; these show when it has settled.
            json.WriteNumber("jit_methods", System.Runtime.JitInfo.GetCompiledMethodCount());
            json.WriteNumber("jit_milliseconds", (long)System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    private static void WriteStreams(Utf8JsonWriter json, string name, IReadOnlyDictionary<string, StreamCounters> streams)
    {
        json.WriteStartObject(name);
        foreach (var (key, counters) in streams.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            json.WriteStartObject(key);
            json.WriteNumber("events", counters.Events);
            json.WriteNumber("bytes", counters.Bytes);
            json.WriteString("last_seen", Timestamps.Format(counters.LastSeenUtc));
            json.WriteNumber("lag_seconds", Math.Round(counters.Lag.TotalSeconds, 6));
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }
}
