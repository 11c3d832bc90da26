using Oxbow.DuckDb;
using Oxbow.Query.Store;
using Oxbow.Store.Compaction;

namespace Oxbow.Daemon.Compaction;

/// <summary>
/// A collector's background compaction: once a minute (or as often as the grace, if shorter), every hour that ended at least
/// <see cref="Configuration.DaemonOptions.CompactAfter"/> ago is compacted into Parquet with one DuckDB thread, so
/// ingest keeps the other cores. A failed hour is logged and counted and retried on the next round.
/// </summary>
internal sealed class BackgroundCompaction(string dataDirectory, TimeSpan grace, TimeSpan keepReplacedFor)
{
    private long _runs;
    private long _hours;
    private long _events;
    private long _failures;

    /// <summary>Counters for stats: rounds run, hours compacted, events written to Parquet, hours that failed.</summary>
    public (long Runs, long Hours, long Events, long Failures) Counters =>
        (Interlocked.Read(ref _runs), Interlocked.Read(ref _hours), Interlocked.Read(ref _events), Interlocked.Read(ref _failures));

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // Once a minute, or as often as the grace when that is shorter (a short grace is for tests and demos).
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Clamp(grace.TotalSeconds, 1, 60)));
        do
        {
            try
            {
                var summary = await Task.Run(() => new Compactor(new CompactorOptions { DataDirectory = dataDirectory, Grace = grace, Threads = 1, KeepReplacedFor = keepReplacedFor })
                    .CompactClosedHours(cancellationToken: cancellationToken), cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _runs);
                Interlocked.Add(ref _hours, summary.Hours.Count(h => h.Error is null && h.Inputs > 0));
                Interlocked.Add(ref _events, summary.Events);
                Interlocked.Add(ref _failures, summary.Failures.Count);
                foreach (var failure in summary.Failures)
                {
                    OxbowDaemonLog.Warning("compaction_failed", "hour", failure);
                }

                foreach (var file in summary.Hours.SelectMany(h => h.Unreadable))
                {
                    OxbowDaemonLog.Warning("compaction_left_out_unreadable_file", "path", file, "effect", "kept as it is; the rest of its hour was compacted");
                }

                if (summary.Events > 0)
                {
                    OxbowDaemonLog.Info("compacted", "hours", summary.Hours.Count(h => h.Error is null && h.Inputs > 0), "events", summary.Events);
                }
            }
            catch (Exception ex) when (ex is IOException or DuckDbException or UnauthorizedAccessException)
            {
                // Another compaction (oxbow store zip) holds the lock, or DuckDB is missing: try again next round.
                OxbowDaemonLog.Warning("compaction_skipped", "reason", ex.Message);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        while (await NextTickAsync(timer, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>False once stopping: the daemon's shutdown is not an error of this loop.</summary>
    private static async Task<bool> NextTickAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
