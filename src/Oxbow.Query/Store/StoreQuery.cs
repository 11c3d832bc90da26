using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Oxbow.DuckDb;
using Oxbow.Store;
using Oxbow.Store.Listing;

namespace Oxbow.Query.Store;

/// <summary>
/// Runs SQL over the store with an in-memory DuckDB that lives as long as this object. Before each query it lists
/// the files on disk and, when they changed, (re)defines: one view per event type (named as the type; a dotted type
/// also as <c>a_b</c>), an <c>events</c> view of every type, and a view per reference table. <c>day</c>
/// (<c>YYYY-MM-DD</c>) and <c>hour</c> (0–23) are columns taken from the path, so filters on them skip whole
/// partitions without opening their files. Parquet footers are cached between queries. DuckDB can read only the data
/// directory and only SELECTs run, so SQL from the control port cannot read the host's files or write anything.
/// Queries on one instance run one at a time (each uses every core).
/// </summary>
public sealed partial class StoreQuery(StoreQueryOptions options) : IDisposable
{
    private readonly Lock _gate = new(); // the connection pool, the skipped files, disposal
    private readonly SemaphoreSlim _viewsGate = new(1, 1); // the listing and the views
    private DuckDbDatabase? _database;
    private DuckDbConnection? _connection;
    private string? _profileDirectory;
    private readonly Dictionary<string, string> _broken = new(StringComparer.Ordinal);
    private bool _viewsStale;
    // The flattening SELECT of each set of sealed files the views use (keyed by the files); entries the latest
    // definition did not use are dropped.
    private Dictionary<string, string> _flattened = new(StringComparer.Ordinal);
    private Dictionary<string, string> _flattenedUsed = new(StringComparer.Ordinal); // filled by the definition under way
    // Files DuckDB could not read, with why: left out of the views (sealed files do not change, so once is enough).
    private readonly Dictionary<string, string> _skipped = new(StringComparer.Ordinal);
    private readonly StoreListing _listing = new([options.DataDirectory, .. options.MoreRoots], TablesDirectory(options.DataDirectory));

    /// <summary>The directory reference tables live in.</summary>
    public static string TablesDirectory(string dataDirectory) => Path.Combine(dataDirectory, "_tables");

    /// <summary>Runs <paramref name="sql"/> and reads the whole result; with <paramref name="collectStats"/>, also reports files read.</summary>
    /// <exception cref="DuckDbException">DuckDB's error: bad SQL, an unknown type (with the known ones listed), an unreadable file.</exception>
    public StoreQueryResult Run(string sql, bool collectStats = false)
    {
        QueryResult? result = null;
        var stats = Read(sql, reader => result = new QueryResult(reader.Columns, [.. reader.Rows()]), collectStats);
        return new StoreQueryResult(result!, stats);
    }

    /// <summary>
    /// Runs <paramref name="sql"/> and hands the live result to <paramref name="consume"/>, which reads rows as they
    /// come (for results too large to hold). Returns stats when <paramref name="collectStats"/> is set.
    /// </summary>
    /// <exception cref="DuckDbException">DuckDB's error: bad SQL, an unknown type (with the known ones listed), an unreadable file.</exception>
    public QueryStats? Read(string sql, Action<DuckDbResult> consume, bool collectStats = false) =>
        Read(sql, consume, new QueryLimits(), collectStats);

    /// <summary>
    /// As <see cref="Read(string, Action{DuckDbResult}, bool)"/>, within <paramref name="limits"/>: the query is
    /// interrupted when its token is cancelled (a timeout, a client that left, shutdown), and asked for at most
    /// <see cref="QueryLimits.MaxRows"/> plus one rows, so a huge result is never built (the extra row tells the
    /// consumer the answer was cut). Queries run side by side, each on its own connection.
    /// </summary>
    /// <exception cref="DuckDbException">DuckDB's error; <see cref="DuckDbErrorType.Interrupt"/> when cancelled.</exception>
    public QueryStats? Read(string sql, Action<DuckDbResult> consume, QueryLimits limits, bool collectStats = false)
    {
        // A compaction or seal may replace files between listing and reading them: list again and retry, as long as
        // the consumer has seen nothing yet. Each retry means another process made progress, so this converges; a
        // storm of compactions can take many, bounded by the query's own cancellation (its timeout).
        const int MaxAttempts = 100;
        for (var attempt = 0; ; attempt++)
        {
            var started = false;
            try
            {
                return ReadOnce(sql, reader =>
                {
                    started = true;
                    consume(reader);
                }, limits, collectStats);
            }
            catch (DuckDbException ex) when (attempt < MaxAttempts && !started && ex.ErrorType == DuckDbErrorType.IO && IsVanishedFile(ex.Message))
            {
                _listing.Forget();
                limits.Cancellation.ThrowIfCancellationRequested();
            }
            catch (IOException ex) when (attempt < MaxAttempts && !started && ex is FileNotFoundException or DirectoryNotFoundException)
            {
                // A file sealed or compacted while the store was being listed: list again.
                _listing.Forget();
            }
            catch (DuckDbException ex) when (started && ex.ErrorType == DuckDbErrorType.IO && IsVanishedFile(ex.Message))
            {
                throw new DuckDbException(ex.Message + " (a file was compacted or removed while it was being read; run the query again)", ex.ErrorType);
            }
            catch (DuckDbException ex) when (ex.ErrorType is DuckDbErrorType.IO or DuckDbErrorType.InvalidInput && FindDamagedFile(ex.Message) is { } damaged)
            {
                // Some of DuckDB's read errors (a broken gzip stream, say) do not say which file: find it.
                throw new DuckDbException($"{ex.Message.ReplaceLineEndings(" ").Trim()} (damaged file: {damaged})", ex.ErrorType);
            }
        }
    }

    private QueryStats? ReadOnce(string sql, Action<DuckDbResult> consume, QueryLimits limits, bool collectStats)
    {
        var stopwatch = Stopwatch.StartNew();
        Worker worker;
        Dictionary<string, string> broken;
        Dictionary<string, ViewSource> sources;
        // One query at a time brings the views up to date; waiting for that, and the work itself, end with the
        // query's cancellation (its timeout), so a slow definition never holds a caller past its time.
        _viewsGate.Wait(limits.Cancellation);
        try
        {
            DuckDbConnection connection;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                connection = EnsureOpen();
            }

            using var interrupt = limits.Cancellation.Register(connection.Interrupt);
            // Every query sees the files on disk when it starts. The listing follows the store's change feed, so
            // checking it costs the same whatever the store's size; the views are redefined only when it changed.
            if (_listing.Refresh() || _viewsStale)
            {
                // A definition cut short (a timeout, a file that vanished) is finished by the next query.
                _viewsStale = true;
                DefineViews(connection, [.. _listing.Files]);
                _viewsStale = false;
            }

            lock (_gate)
            {
                broken = new Dictionary<string, string>(_broken, StringComparer.Ordinal);
                sources = _sources;
                worker = Borrow();
            }
        }
        finally
        {
            _viewsGate.Release();
        }

        // The query itself runs outside the gate: a slow one does not hold up the others, and a cancellation
        // interrupts exactly this connection.
        try
        {
            using var interrupt = limits.Cancellation.Register(worker.Connection.Interrupt);
            limits.Cancellation.ThrowIfCancellationRequested();
            var narrowed = Narrow(worker, sql, sources);
            try
            {
                return Execute(worker, sql, consume, limits, collectStats, broken, stopwatch);
            }
            finally
            {
                if (narrowed is not null && !DropNarrowed(worker.Connection, narrowed))
                {
                    // A connection that may still hold the narrowed view must never serve another query.
                    worker.Discard = true;
                }
            }
        }
        finally
        {
            Return(worker);
        }
    }

    private QueryStats? Execute(Worker worker, string sql, Action<DuckDbResult> consume, QueryLimits limits, bool collectStats, Dictionary<string, string> broken, Stopwatch stopwatch)
    {
        var connection = worker.Connection;
        File.Delete(worker.Profile);
        if (collectStats)
        {
            connection.Execute($"SET enable_profiling = 'json'; SET profiling_output = {Sql.Literal(worker.Profile)}");
        }
        else if (worker.Profiling)
        {
            connection.Execute("PRAGMA disable_profiling");
        }

        worker.Profiling = collectStats;
        DuckDbResult reader;
        try
        {
            reader = limits.MaxRows is { } max ? connection.QueryReadOnly(sql, max + 1) : connection.QueryReadOnly(sql);
        }
        catch (DuckDbException ex) when (ex.ErrorType == DuckDbErrorType.Catalog && MissingTable(ex.Message) is { } table
            && (broken.ContainsKey(table) || (table == "events" && broken.Count > 0)))
        {
            // A type whose files cannot be read has no view: say why, rather than that it does not exist.
            var (type, problem) = broken.TryGetValue(table, out var own) ? (table, own) : (broken.First().Key, broken.First().Value);
            throw new DuckDbException($"type {type} cannot be read: {problem}", DuckDbErrorType.IO);
        }
        catch (DuckDbException ex) when (ex.ErrorType == DuckDbErrorType.Catalog && ex.Message.Contains("Table with name", StringComparison.Ordinal))
        {
            var types = Roots.SelectMany(StoreLayout.Types).Distinct().Order(StringComparer.Ordinal).ToList();
            throw new DuckDbException(
                $"{ex.Message.Split('\n')[0]} The store has types: {(types.Count == 0 ? "(none yet)" : string.Join(", ", types))}; " +
                "query them by name, or all of them as events.", DuckDbErrorType.Catalog);
        }

        using (reader)
        {
            consume(reader);
        }

        if (!collectStats)
        {
            return null;
        }

        // The profile is written when the query's result is destroyed.
        List<string> skipped;
        lock (_gate)
        {
            skipped = [.. _skipped.Select(f => $"{f.Key}: {f.Value}")];
        }

        var stats = ReadStats(worker.Profile, stopwatch.Elapsed);
        // Files narrowing left out were never shown to DuckDB, but the query considered them all the same.
        return stats with { FilesConsidered = stats.FilesConsidered + worker.NarrowedAway, SkippedFiles = skipped };
    }

    private static string? MissingTable(string message)
    {
        var match = System.Text.RegularExpressions.Regex.Match(message, "Table with name (.+?) does not exist");
        return match.Success ? match.Groups[1].Value : null;
    }

    /// <summary>
    /// When an error names no store file, checks the sealed and compacted files (gzip streams decompress to the end;
    /// Parquet files have their magic at both ends) and returns the first damaged one with its problem; null if the
    /// error names a file already or none is found damaged.
    /// </summary>
    private string? FindDamagedFile(string message)
    {
        var files = Roots.SelectMany(r => StoreLayout.Partitions(r)).Select(StoreLayout.Files).SelectMany(f => f.Sealed.Concat(f.Parquet)).ToList();
        if (files.Any(f => message.Contains(Path.GetFileName(f), StringComparison.Ordinal)))
        {
            return null;
        }

        var head = new byte[4];
        var tail = new byte[4];
        foreach (var file in files)
        {
            try
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
                if (file.EndsWith(".gz", StringComparison.Ordinal))
                {
                    using var gzip = new System.IO.Compression.GZipStream(stream, System.IO.Compression.CompressionMode.Decompress);
                    gzip.CopyTo(Stream.Null);
                }
                else
                {
                    var ok = stream.Length >= 12 && stream.Read(head) == 4 && head.SequenceEqual("PAR1"u8);
                    stream.Seek(-4, SeekOrigin.End);
                    if (!ok || stream.Read(tail) != 4 || !tail.SequenceEqual("PAR1"u8))
                    {
                        return $"{file}: not a whole Parquet file";
                    }
                }
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException)
            {
                return $"{file}: {ex.Message}";
            }
        }

        return null;
    }

    private static bool IsVanishedFile(string message) =>
        message.Contains("No such file", StringComparison.OrdinalIgnoreCase) || message.Contains("No files found", StringComparison.OrdinalIgnoreCase);

    private static QueryStats ReadStats(string profile, TimeSpan elapsed)
    {
        long read = 0, considered = 0;
        var scans = 0;
        using var document = JsonDocument.Parse(File.ReadAllBytes(profile));
        Walk(document.RootElement);
        return new QueryStats(scans, read, considered, elapsed);

        void Walk(JsonElement node)
        {
            if (node.TryGetProperty("extra_info", out var info) && info.ValueKind == JsonValueKind.Object)
            {
                if (info.TryGetProperty("Total Files Read", out var total) && long.TryParse(total.GetString(), CultureInfo.InvariantCulture, out var n))
                {
                    read += n;
                    scans++;
                    // "Scanning Files: a/b" appears only when partition filters pruned the list from b files.
                    considered += info.TryGetProperty("Scanning Files", out var scanning) && scanning.GetString() is { } ratio && ratio.Split('/') is [_, var of]
                        && long.TryParse(of, CultureInfo.InvariantCulture, out var m) ? m : n;
                }
            }

            if (node.TryGetProperty("children", out var children))
            {
                foreach (var child in children.EnumerateArray())
                {
                    Walk(child);
                }
            }
        }
    }

    /// <summary>Formats stats as one line, for a terminal.</summary>
    public static string Describe(QueryStats stats) => string.Create(CultureInfo.InvariantCulture,
        $"files read: {stats.FilesRead} of {stats.FilesConsidered} in {stats.Scans} scan(s); {stats.Elapsed.TotalMilliseconds:0.0} ms")
        + (stats.SkippedFiles.Count == 0 ? "" : $"; {stats.SkippedFiles.Count} unreadable file(s) left out: {string.Join("; ", stats.SkippedFiles)}");
}
