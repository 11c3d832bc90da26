using System.Globalization;
using Oxbow.DuckDb;
using Oxbow.IO;
using Oxbow.Store;
using Oxbow.Store.Files;
using Oxbow.Store.Index;
using Oxbow.Store.Listing;

namespace Oxbow.Store.Compaction;

/// <summary>
/// Compacts closed hours into Parquet in the same Hive layout: per hour, the sealed <c>.ndjson.gz</c> files (and any
/// earlier compaction of that hour, so an hour converges on one file) become one Parquet file with the body's
/// fields as columns, sorted by <c>end</c>. Files the collector is still appending to are left alone.
/// </summary>
/// <remarks>
/// Atomic by construction (see <see cref="StoreLayout"/>): (1) <c>C.parquet.sources</c> names the inputs and is
/// fsynced; (2) DuckDB writes <c>C.parquet.tmp</c>, which is fsynced; (3) the rename to <c>C.parquet</c> commits;
/// (4) the inputs and the list are deleted. A crash before (3) leaves the inputs counted and the rest ignored; after
/// it, the new file counted and the inputs ignored. The next run finishes or discards what a crash left.
/// </remarks>
public sealed class Compactor(CompactorOptions options)
{
    /// <summary>Marks a Parquet file that is also in S3 (written by the archive).</summary>
    public const string UploadedSuffix = ".uploaded";

    /// <summary>Compacts every closed hour that has sealed NDJSON (or more than one Parquet file).</summary>
    /// <param name="progress">Called after each hour: hours done, hours in all, and that hour's outcome.</param>
    /// <param name="cancellationToken">Stops between hours.</param>
    public CompactionSummary CompactClosedHours(Action<int, int, HourCompaction>? progress = null, CancellationToken cancellationToken = default)
    {
        using var compactionLock = StoreLock.TryAcquire(options.DataDirectory, StoreLock.Compaction)
            ?? throw new IOException($"another compaction is running in {options.DataDirectory}");
        var now = options.Time.GetUtcNow().UtcDateTime;
        var due = StoreLayout.Partitions(options.DataDirectory)
            .Where(p => p.Start.AddHours(1) + options.Grace <= now)
            .OrderBy(p => p.Start).ThenBy(p => p.Type, StringComparer.Ordinal)
            .ToList();
        var collector = CollectorName();
        List<HourCompaction> hours = [];
        List<string> failures = [];
        var workers = Math.Max(1, options.Threads ?? Environment.ProcessorCount);
        using var database = DuckDbDatabase.Open(settings: Settings(workers));
        var done = 0;
        var gate = new Lock();
        // Hours in parallel, one connection each: reading one gzip file is single-threaded in DuckDB, so this is
        // what keeps every core busy.
        Parallel.ForEach(due, new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = CancellationToken.None }, () => database.Connect(), (partition, loop, connection) =>
        {
            if (cancellationToken.IsCancellationRequested)
            {
                loop.Stop();
                return connection;
            }

            HourCompaction outcome;
            try
            {
                outcome = Compact(connection, partition, collector);
            }
            catch (Exception ex) when (ex is DuckDbException or IOException or UnauthorizedAccessException)
            {
                // One bad hour (a damaged file, say) is reported and the rest go on; its inputs stay as they were.
                outcome = new HourCompaction(partition, 0, 0, 0, 0, null, ex.Message.ReplaceLineEndings(" ").Trim());
            }

            if (outcome.Inputs > 0 || outcome.Error is not null)
            {
                // A failure may have come after the commit: say the hour changed either way.
                StoreChanges.Record(options.DataDirectory, StoreLayout.RelativeDirectory(partition.Type, partition.Day, partition.Hour));
            }

            lock (gate)
            {
                if (outcome.Inputs > 0 || outcome.Error is not null || outcome.OpenFiles > 0 || outcome.Unreadable.Count > 0 || outcome.Indexed > 0)
                {
                    hours.Add(outcome);
                }

                if (outcome.Error is not null)
                {
                    failures.Add($"{StoreLayout.RelativeDirectory(partition.Type, partition.Day, partition.Hour)}: {outcome.Error}");
                }

                progress?.Invoke(++done, due.Count, outcome);
            }

            return connection;
        }, connection => connection.Dispose());

        hours.Sort((a, b) => a.Partition.Start != b.Partition.Start ? a.Partition.Start.CompareTo(b.Partition.Start) : string.CompareOrdinal(a.Partition.Type, b.Partition.Type));
        failures.Sort(StringComparer.Ordinal);
        return new CompactionSummary(hours, failures);
    }

    /// <summary>
    /// Finishes or discards what an interrupted compaction left in one hour's directory, and removes the files that
    /// committed compactions replaced once they are older than <paramref name="keepReplacedFor"/> (by the wall clock:
    /// the time is about queries that really run).
    /// </summary>
    public static void Recover(Partition partition, TimeSpan keepReplacedFor = default)
    {
        var now = DateTime.UtcNow;
        try
        {
            new CompactionCommit(PhysicalFileSystem.Instance, partition.Directory)
                .Recover(parquet => File.GetLastWriteTimeUtc(parquet) + keepReplacedFor <= now);
        }
        catch (DirectoryNotFoundException)
        {
            // Removed whole by retention.
        }
    }

    private HourCompaction Compact(DuckDbConnection connection, Partition partition, string collector)
    {
        Recover(partition, options.KeepReplacedFor);
        var files = StoreLayout.Files(partition);
        var ndjson = options.IncludeOpenFiles ? [.. files.Sealed, .. files.Active] : files.Sealed.ToList();
        var json = ndjson.Where(f => new FileInfo(f).Length > 0).ToList();
        // A file already archived to S3 is never folded into a new one: its events would be in S3 twice.
        var parquet = files.Parquet.Where(p => !File.Exists(p + UploadedSuffix)).ToList();
        if (ndjson.Count == 0 && parquet.Count <= 1)
        {
            return new HourCompaction(partition, 0, 0, 0, 0, null, null) { OpenFiles = files.Active.Count, Indexed = LookupKeysWriter.Backfill(connection, files) };
        }

        // A file DuckDB cannot read (damaged, or stored before ingest repaired keys) stays where it is, left out of
        // queries too, and the rest of the hour is compacted: one file must not stall its hour for ever.
        var staging = "staging_" + Guid.NewGuid().ToString("n");
        List<string> unreadable = [];
        if (json.Count > 0 && !TryStage(connection, staging, json))
        {
            foreach (var file in json.ToList())
            {
                var single = "probe_" + Guid.NewGuid().ToString("n");
                if (TryStage(connection, single, [file]))
                {
                    connection.Execute($"DROP TABLE IF EXISTS {single}");
                }
                else
                {
                    unreadable.Add(file);
                }
            }

            json.RemoveAll(unreadable.Contains);
            ndjson.RemoveAll(unreadable.Contains);
            if (json.Count > 0 && !TryStage(connection, staging, json))
            {
                throw new DuckDbException("the hour's files cannot be read together, though each can alone", DuckDbErrorType.InvalidInput);
            }

            if (ndjson.Count == 0 && parquet.Count <= 1)
            {
                return new HourCompaction(partition, 0, 0, 0, 0, null, null) { OpenFiles = files.Active.Count, Unreadable = unreadable, Indexed = LookupKeysWriter.Backfill(connection, files) };
            }
        }

        var inputs = ndjson.Concat(parquet).ToList();
        var inputBytes = inputs.Sum(f => new FileInfo(f).Length);
        var stamp = options.Time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff", CultureInfo.InvariantCulture);
        var target = Path.Combine(partition.Directory, $"{collector}-{stamp}-{Guid.NewGuid().ToString("n")[..6]}.parquet");
        var list = target + StoreLayout.SourcesSuffix;
        var temporary = target + StoreLayout.TemporarySuffix;

        var commit = new CompactionCommit(PhysicalFileSystem.Instance, partition.Directory);
        commit.Begin(target, inputs.Select(f => Path.GetFileName(f)));
        FaultPoints.Hit("compaction-after-sources");

        long events = 0;
        if (json.Count > 0 || parquet.Count > 0)
        {
            // The NDJSON is read once into a staging table, with its schema taken from every line (sample_size = -1):
            // a field that first appears late in a file must not be lost. The table's columns then say how to flatten.
            List<string> branches = [];
            if (json.Count > 0)
            {
                using var probe = connection.Query($"SELECT * FROM {staging} LIMIT 0");
                branches.Add($"SELECT {EventColumns.FlatteningSelectList(probe.Columns)} FROM {staging}");
            }

            if (parquet.Count > 0)
            {
                branches.Add($"SELECT * FROM read_parquet({Sql.List(parquet)}, union_by_name = true, hive_partitioning = false)");
            }

            var copy = $"COPY (SELECT * FROM ({string.Join(" UNION ALL BY NAME ", branches)}) ORDER BY \"end\", id) " +
                $"TO {Sql.Literal(temporary)} (FORMAT parquet, COMPRESSION {Sql.Literal(options.Compression)}, {LookupFriendly})";
            // Events counts what is newly compacted: the rows carried over from an earlier Parquet file are not new.
            var carried = parquet.Count == 0 ? 0 : (long)connection.QueryAll($"SELECT count(*) FROM read_parquet({Sql.List(parquet)})").Rows[0][0]!;
            QueryResult written;
            try
            {
                written = connection.QueryAll(copy);
            }
            finally
            {
                if (json.Count > 0)
                {
                    connection.Execute($"DROP TABLE IF EXISTS {staging}");
                }
            }

            events = (written.Rows.Count > 0 && written.Rows[0][0] is long count ? count : 0) - carried;
            using (var output = PhysicalFileSystem.Instance.Open(temporary))
            {
                output.Flush();
            }

            // The index goes in before the commit, so a committed file has one unless a crash lost its rename (then
            // the file is read by every lookup until a later round indexes it). An index without its file is ignored
            // and removed by Recover.
            LookupKeysWriter.Write(connection, temporary, target + LookupKeys.Suffix);
        }

        FaultPoints.Hit("compaction-after-parquet");
        commit.Commit(target);

        FaultPoints.Hit("compaction-after-commit");
        if (!File.Exists(target) || options.KeepReplacedFor <= TimeSpan.Zero)
        {
            // Nothing written (every input was empty) leaves nothing for a query to race with.
            commit.RemoveReplaced(list);
        }

        var outputBytes = File.Exists(target) ? new FileInfo(target).Length : 0;
        return new HourCompaction(partition, inputs.Count, events, inputBytes, outputBytes, File.Exists(target) ? target : null, null)
        {
            OpenFiles = options.IncludeOpenFiles ? 0 : files.Active.Count,
            Unreadable = unreadable,
        };
    }

    /// <summary>Reads NDJSON files into a temporary table; false (and no table) when DuckDB cannot read them.</summary>
    private static bool TryStage(DuckDbConnection connection, string table, List<string> files)
    {
        try
        {
            connection.Execute($"CREATE TEMP TABLE {table} AS SELECT * FROM {NdjsonSource(files)}");
            return true;
        }
        catch (DuckDbException ex) when (ex.ErrorType is not DuckDbErrorType.Interrupt)
        {
            connection.Execute($"DROP TABLE IF EXISTS {table}");
            return false;
        }
    }

    private static Dictionary<string, string> Settings(int threads) => new() { ["threads"] = threads.ToString(CultureInfo.InvariantCulture) };

    /// <summary>
    /// Dictionary-encode even columns of unique strings (ids, trace ids), because DuckDB writes a Parquet bloom filter
    /// for every dictionary-encoded column, and a lookup by id or trace id then skips every file whose filter says
    /// no: 5x faster, for about 1.7x the bytes (still about a third of NDJSON.gz). A row group whose dictionary
    /// would pass 16 MiB falls back to plain encoding.
    /// </summary>
    private const string LookupFriendly = "DICTIONARY_SIZE_LIMIT 200000, STRING_DICTIONARY_PAGE_SIZE_LIMIT 16777216";

    /// <summary>
    /// How compaction and queries read NDJSON: the schema from every line, so no late field is missed; or, with
    /// <paramref name="columns"/> (a DuckDB struct literal of names and types found that way), with that schema and no
    /// detection at all.
    /// </summary>
    internal static string NdjsonSource(IReadOnlyList<string> files, bool tolerateTornLines = false, bool hive = false, string? columns = null) =>
        $"read_json({Sql.List(files)}, format = 'newline_delimited', " +
        (columns is null ? "union_by_name = true, sample_size = -1, " : $"columns = {columns}, ") +
        (tolerateTornLines ? "ignore_errors = true, " : "") +
        (hive ? "hive_partitioning = true, hive_types = {'day': 'VARCHAR', 'hour': 'INTEGER'})" : "hive_partitioning = false)");

    /// <summary>The collector's id (from <c>DATA/_oxbow/collector-id</c>) so file names stay unique across collectors.</summary>
    private string CollectorName()
    {
        var path = Path.Combine(options.DataDirectory, "_oxbow", "collector-id");
        var id = File.Exists(path) ? File.ReadAllText(path).Trim() : "";
        return id.Length > 0 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') ? id : "local";
    }
}
