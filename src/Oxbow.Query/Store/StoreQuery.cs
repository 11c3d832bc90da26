using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Oxbow.Query.DuckDb;

namespace Oxbow.Query.Store;

/// <summary>Options for <see cref="StoreQuery"/>.</summary>
public sealed class StoreQueryOptions
{
    /// <summary>The collector's data directory (the Hive layout's root). Required.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>
    /// More directories in the same layout to read as part of the store, such as the cache of hours fetched back
    /// from S3. Default none.
    /// </summary>
    public IReadOnlyList<string> MoreRoots { get; init; } = [];

    /// <summary>DuckDB worker threads. Default null: one per processor.</summary>
    public int? Threads { get; init; }

    /// <summary>DuckDB's memory limit, such as <c>1GB</c>. Default null: DuckDB's own (80 % of RAM).</summary>
    public string? MemoryLimit { get; init; }

    /// <summary>
    /// Told once for each file the views leave out because DuckDB cannot read it (the file and why), so the host can
    /// log it. Default none. Queries report the files left out in <see cref="QueryStats.SkippedFiles"/> either way.
    /// </summary>
    public Action<string, string>? FileSkipped { get; init; }
}

/// <summary>
/// Runs SQL over the store with an in-memory DuckDB that lives as long as this object. Before each query it lists
/// the files on disk and, when they changed, (re)defines: one view per event type (named as the type; a dotted type
/// also as <c>a_b</c>), an <c>events</c> view of every type, and a view per reference table. <c>day</c>
/// (<c>YYYY-MM-DD</c>) and <c>hour</c> (0–23) are columns taken from the path, so filters on them skip whole
/// partitions without opening their files. Parquet footers are cached between queries. DuckDB can read only the data
/// directory and only SELECTs run, so SQL from the control port cannot read the host's files or write anything.
/// Queries on one instance run one at a time (each uses every core).
/// </summary>
public sealed class StoreQuery(StoreQueryOptions options) : IDisposable
{
    private readonly Lock _gate = new(); // the connection pool, the skipped files, disposal
    private readonly SemaphoreSlim _viewsGate = new(1, 1); // the listing and the views
    private DuckDbDatabase? _database;
    private DuckDbConnection? _connection;
    private string? _profileDirectory;
    private string _fingerprint = "";
    private readonly Dictionary<string, string> _broken = new(StringComparer.Ordinal);
    // The flattening SELECT of each set of sealed files the views use (keyed by the files); entries the latest
    // definition did not use are dropped.
    private Dictionary<string, string> _flattened = new(StringComparer.Ordinal);
    private Dictionary<string, string> _flattenedUsed = new(StringComparer.Ordinal); // filled by the definition under way
    // Files DuckDB could not read, with why: left out of the views (sealed files do not change, so once is enough).
    private readonly Dictionary<string, string> _skipped = new(StringComparer.Ordinal);
    private readonly List<string> _views = [];
    private DirectorySnapshot? _snapshot;

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
                _snapshot = null;
                limits.Cancellation.ThrowIfCancellationRequested();
            }
            catch (IOException ex) when (attempt < MaxAttempts && !started && ex is FileNotFoundException or DirectoryNotFoundException)
            {
                // A file sealed or compacted while the store was being listed: list again.
                _snapshot = null;
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

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var busy in _busy)
            {
                // Their threads dispose them when they come back (see Return).
                busy.Connection.Interrupt();
            }

            foreach (var idle in _idle)
            {
                idle.Connection.Dispose();
            }

            _idle.Clear();
            if (_busy.Count == 0)
            {
                CloseDatabase();
            }
        }
    }

    private void CloseDatabase()
    {
        _connection?.Dispose();
        _database?.Dispose();
        _connection = null;
        _database = null;
        if (_profileDirectory is not null && Directory.Exists(_profileDirectory))
        {
            Directory.Delete(_profileDirectory, recursive: true);
        }
    }

    /// <summary>A connection queries run on, one query at a time, with its own profiling state and file.</summary>
    private sealed class Worker(DuckDbConnection connection, string profile)
    {
        public DuckDbConnection Connection { get; } = connection;

        public string Profile { get; } = profile;

        public bool Profiling { get; set; }
    }

    private readonly Stack<Worker> _idle = new();
    private readonly List<Worker> _busy = [];
    private bool _disposed;
    private int _workers;

    /// <summary>Under the gate: an idle connection, or a new one on the same database (views and settings are shared).</summary>
    private Worker Borrow()
    {
        var worker = _idle.Count > 0 ? _idle.Pop() : new Worker(_database!.Connect(), Path.Combine(_profileDirectory!, $"profile-{++_workers}.json"));
        _busy.Add(worker);
        return worker;
    }

    private void Return(Worker worker)
    {
        lock (_gate)
        {
            _busy.Remove(worker);
            if (!_disposed)
            {
                _idle.Push(worker);
                return;
            }

            worker.Connection.Dispose();
            if (_busy.Count == 0)
            {
                CloseDatabase();
            }
        }
    }

    private QueryStats? ReadOnce(string sql, Action<DuckDbResult> consume, QueryLimits limits, bool collectStats)
    {
        var stopwatch = Stopwatch.StartNew();
        Worker worker;
        Dictionary<string, string> broken;
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
            // Every query sees the files on disk when it starts. Listing every hour costs milliseconds, so a snapshot
            // of directory times (and the sizes of files being appended to) says when a listing can be skipped; the
            // views are redefined only when the listing changed.
            if (_snapshot is null || !_snapshot.Unchanged())
            {
                var files = Roots.SelectMany(r => StoreLayout.Partitions(r)).Select(StoreLayout.Files).ToList();
                _snapshot = DirectorySnapshot.Take([.. Roots, TablesDirectory(options.DataDirectory)], files);
                var fingerprint = Fingerprint(files);
                if (fingerprint != _fingerprint)
                {
                    _fingerprint = "";
                    DefineViews(connection, files);
                    _fingerprint = fingerprint;
                }
            }

            lock (_gate)
            {
                broken = new Dictionary<string, string>(_broken, StringComparer.Ordinal);
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
            return Execute(worker, sql, consume, limits, collectStats, broken, stopwatch);
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

        return ReadStats(worker.Profile, stopwatch.Elapsed) with { SkippedFiles = skipped };
    }

    /// <summary>The file set, with the sizes of files still being appended to (their schema may grow).</summary>
    private string Fingerprint(List<PartitionFiles> files)
    {
        var text = new StringBuilder();
        foreach (var partition in files)
        {
            foreach (var file in partition.Sealed.Concat(partition.Parquet))
            {
                text.Append(file).Append('\n');
            }

            foreach (var file in partition.Active)
            {
                text.Append(file).Append(' ').Append(new FileInfo(file).Length).Append('\n');
            }
        }

        foreach (var table in Tables())
        {
            text.Append(table).Append(' ').Append(File.GetLastWriteTimeUtc(table).Ticks).Append('\n');
        }

        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>
    /// Opens the database once: DuckDB may then reach the data directories (and its private profile directory) and
    /// nothing else; that switch cannot be turned back. Only SELECTs run (<see cref="DuckDbConnection.QueryReadOnly(string)"/>),
    /// so nothing can be written or reconfigured from SQL either.
    /// </summary>
    private DuckDbConnection EnsureOpen()
    {
        if (_connection is not null)
        {
            return _connection;
        }

        RemoveProfileDirectoriesOfDeadProcesses();
        _profileDirectory = Directory.CreateTempSubdirectory($"{ProfileDirectoryPrefix}{Environment.ProcessId}-").FullName;
        // DuckDB's spill files go to this engine's private directory (0700, removed on Dispose), not to .tmp/ in
        // the working directory, which DuckDB would otherwise add to the directories SQL may read.
        _database = Open(_profileDirectory);
        _connection = _database.Connect();
        List<string> allowed = [.. Roots.Select(r => Path.GetFullPath(r).TrimEnd('/') + "/"), _profileDirectory.TrimEnd('/') + "/"];
        _connection.Execute($"SET parquet_metadata_cache = true; SET allowed_directories = {Sql.List(allowed)}; SET enable_external_access = false");
        return _connection;
    }

    private IEnumerable<string> Roots => [options.DataDirectory, .. options.MoreRoots];

    private const string ProfileDirectoryPrefix = "oxbow-query-";

    /// <summary>
    /// <see cref="Dispose"/> removes this engine's profile directory, but a process killed with SIGKILL cannot: its
    /// directories (named after its pid) are removed by the next engine that opens. Another user's directories cannot be
    /// deleted and are left alone, as is anything that is not a plain directory.
    /// </summary>
    private static void RemoveProfileDirectoriesOfDeadProcesses()
    {
        try
        {
            foreach (var directory in new DirectoryInfo(Path.GetTempPath()).EnumerateDirectories(ProfileDirectoryPrefix + "*"))
            {
                var rest = directory.Name.AsSpan(ProfileDirectoryPrefix.Length);
                var dash = rest.IndexOf('-');
                if (dash <= 0 || !int.TryParse(rest[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                    || directory.LinkTarget is not null || IsRunning(pid))
                {
                    continue;
                }

                try
                {
                    directory.Delete(recursive: true);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Tidying up is best effort: a query never fails for it.
        }

        static bool IsRunning(int pid)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                return !process.HasExited;
            }
            catch (ArgumentException)
            {
                return false;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }
    }

    private DuckDbDatabase Open(string temporaryDirectory)
    {
        Dictionary<string, string> settings = new() { ["temp_directory"] = temporaryDirectory };
        if (options.Threads is { } threads)
        {
            settings["threads"] = threads.ToString(CultureInfo.InvariantCulture);
        }

        if (options.MemoryLimit is { } limit)
        {
            settings["memory_limit"] = limit;
        }

        return DuckDbDatabase.Open(settings: settings);
    }

    private static string? MissingTable(string message)
    {
        var match = System.Text.RegularExpressions.Regex.Match(message, "Table with name (.+?) does not exist");
        return match.Success ? match.Groups[1].Value : null;
    }

    /// <summary>
    /// (Re)defines the views from <paramref name="all"/>. A type whose files cannot be read (a damaged file) gets no view and lands in
    /// the broken list with the reason, and then neither does <c>events</c>: other types stay queryable,
    /// and nothing silently leaves the damaged type out.
    /// </summary>
    private void DefineViews(DuckDbConnection connection, List<PartitionFiles> all)
    {
        foreach (var view in _views)
        {
            connection.Execute($"DROP VIEW IF EXISTS {Sql.Identifier(view)}");
        }

        _views.Clear();
        _broken.Clear();
        var broken = _broken;
        List<string> definitions = _views;
        List<string> typeViews = [];
        // Skipped files that are gone (compacted, removed by retention) are forgotten.
        var present = all.SelectMany(p => p.Active.Concat(p.Sealed).Concat(p.Parquet)).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _skipped.Keys.Where(f => !present.Contains(f)).ToList())
        {
            _skipped.Remove(gone);
        }

        foreach (var group in all.GroupBy(p => p.Partition.Type).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var files = group.Select(WithoutSkipped).ToList();
            string? select;
            try
            {
                select = SelectFor(connection, files);
            }
            catch (DuckDbException ex) when (IsReadError(ex))
            {
                // One file DuckDB cannot read (damaged, or stored before ingest repaired keys) must not take its type,
                // and events, down with it: find it, leave it out, say so, and define the view over the rest.
                try
                {
                    foreach (var (file, problem) in UnreadableFiles(connection, files))
                    {
                        Skip(file, problem);
                    }

                    files = group.Select(WithoutSkipped).ToList();
                    select = SelectFor(connection, files);
                }
                catch (DuckDbException again) when (IsReadError(again))
                {
                    broken[group.Key] = FindDamagedFile(again.Message) is { } damaged
                        ? $"{again.Message.Split('\n')[0]} (damaged file: {damaged})"
                        : again.Message.ReplaceLineEndings(" ").Trim();
                    continue;
                }
            }

            if (select is null)
            {
                continue;
            }

            connection.Execute($"CREATE VIEW {Sql.Identifier(group.Key)} AS {select}");
            definitions.Add(group.Key);
            typeViews.Add(group.Key);
            var alias = group.Key.Replace('.', '_');
            if (alias != group.Key && !typeViews.Contains(alias))
            {
                connection.Execute($"CREATE VIEW {Sql.Identifier(alias)} AS SELECT * FROM {Sql.Identifier(group.Key)}");
                definitions.Add(alias);
            }
        }

        var events = broken.Count > 0 ? null : typeViews.Count == 0
            ? "CREATE VIEW events AS SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS type, NULL::TIMESTAMP AS \"start\", NULL::TIMESTAMP AS \"end\", " +
              "NULL::VARCHAR AS level, NULL::VARCHAR AS host, NULL::BIGINT AS pid, NULL::VARCHAR AS app, NULL::VARCHAR AS day, NULL::INTEGER AS hour WHERE false"
            : "CREATE VIEW events AS " + string.Join(" UNION ALL BY NAME ", typeViews.Select(t => $"SELECT * FROM {Sql.Identifier(t)}"));
        if (events is not null)
        {
            connection.Execute(events);
            definitions.Add("events");
        }

        _flattened = _flattenedUsed;
        _flattenedUsed = new(StringComparer.Ordinal);
        foreach (var file in Tables())
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (ReferenceTables.IsValidName(name) && !typeViews.Contains(name))
            {
                connection.Execute($"CREATE VIEW {Sql.Identifier(name)} AS SELECT * FROM read_parquet({Sql.Literal(file)})");
                definitions.Add(name);
            }
        }
    }

    /// <summary>
    /// Defining a view runs only Oxbow's own SQL over the files, so any DuckDB error there is about a file (a damaged
    /// stream, a schema it will not read such as "Duplicate name in struct", which DuckDB calls Not implemented), except
    /// an interrupt, and a file that vanished (sealed or compacted since the listing), which the caller lists again for.
    /// </summary>
    private static bool IsReadError(DuckDbException ex) =>
        ex.ErrorType is not DuckDbErrorType.Interrupt && !(ex.ErrorType == DuckDbErrorType.IO && IsVanishedFile(ex.Message));

    private PartitionFiles WithoutSkipped(PartitionFiles files) => _skipped.Count == 0 ? files : files with
    {
        Active = [.. files.Active.Where(f => !_skipped.ContainsKey(f))],
        Sealed = [.. files.Sealed.Where(f => !_skipped.ContainsKey(f))],
        Parquet = [.. files.Parquet.Where(f => !_skipped.ContainsKey(f))],
    };

    private void Skip(string file, string problem)
    {
        if (_skipped.TryAdd(file, problem))
        {
            options.FileSkipped?.Invoke(file, problem);
        }
    }

    /// <summary>
    /// The files of one type that DuckDB cannot read, found by halving: a set that defines a view is fine, one that
    /// does not is split until single files remain. A few probes per bad file, none when nothing is wrong.
    /// </summary>
    private List<(string File, string Problem)> UnreadableFiles(DuckDbConnection connection, List<PartitionFiles> files)
    {
        List<(string, string)> bad = [];
        var all = files.SelectMany(f => f.Sealed.Select(s => (File: s, Kind: 's')).Concat(f.Active.Select(a => (File: a, Kind: 'a'))).Concat(f.Parquet.Select(q => (File: q, Kind: 'p')))).ToList();
        Probe(all);
        return bad;

        void Probe(List<(string File, char Kind)> set)
        {
            try
            {
                var probe = new PartitionFiles(files[0].Partition, [.. set.Where(f => f.Kind == 'a').Select(f => f.File)], [.. set.Where(f => f.Kind == 's').Select(f => f.File)], [.. set.Where(f => f.Kind == 'p').Select(f => f.File)]);
                if (SelectFor(connection, [probe]) is { } select)
                {
                    using var result = connection.Query($"SELECT count(*) FROM ({select})");
                }
            }
            catch (DuckDbException ex) when (IsReadError(ex))
            {
                if (set.Count == 1)
                {
                    bad.Add((set[0].File, ex.Message.ReplaceLineEndings(" ").Trim()));
                    return;
                }

                Probe(set[..(set.Count / 2)]);
                Probe(set[(set.Count / 2)..]);
            }
        }
    }

    private IEnumerable<string> Tables()
    {
        var tables = TablesDirectory(options.DataDirectory);
        return Directory.Exists(tables) ? Directory.EnumerateFiles(tables, "*.parquet").Order(StringComparer.Ordinal) : [];
    }

    /// <summary>
    /// One type's SELECT over its files: fresh NDJSON (flattened) and compacted Parquet (already flat), joined by name.
    /// Files being appended to are read with <c>ignore_errors</c>, since their last line may be mid-write; sealed and
    /// compacted files are read strictly, so damage is an error that names the file.
    /// </summary>
    private string? SelectFor(DuckDbConnection connection, List<PartitionFiles> files)
    {
        List<string> branches = [];
        var active = files.SelectMany(f => f.Active).ToList();
        var sealedFiles = files.SelectMany(f => f.Sealed).ToList();
        var parquet = files.SelectMany(f => f.Parquet).ToList();
        if (sealedFiles.Count > 0)
        {
            branches.Add(Flattened(connection, sealedFiles, tolerateTornLines: false));
        }

        if (active.Count > 0)
        {
            branches.Add(Flattened(connection, active, tolerateTornLines: true));
        }

        // Files with the same columns are read together without union_by_name, which would make every query read
        // every file's schema again while binding; groups with different columns are then joined by name.
        foreach (var group in ParquetBySchema(connection, parquet))
        {
            branches.Add($"SELECT * FROM read_parquet({Sql.List(group)}, hive_partitioning = true, hive_types = {{'day': 'VARCHAR', 'hour': 'INTEGER'}})");
        }

        return branches.Count == 0 ? null : string.Join(" UNION ALL BY NAME ", branches);
    }

    private static IEnumerable<List<string>> ParquetBySchema(DuckDbConnection connection, List<string> parquet)
    {
        if (parquet.Count == 0)
        {
            return [];
        }

        var schemas = connection.QueryAll($"SELECT file_name, string_agg(name || ' ' || type, ', ' ORDER BY name) FROM parquet_schema({Sql.List(parquet)}) GROUP BY file_name");
        var byFile = schemas.Rows.ToDictionary(r => (string)r[0]!, r => (string?)r[1] ?? "", StringComparer.Ordinal);
        return parquet.GroupBy(f => byFile.GetValueOrDefault(f, f), StringComparer.Ordinal).Select(g => g.ToList());
    }

    /// <summary>
    /// The flattening SELECT over NDJSON files. Their schema is detected from every line once, here, and written into
    /// the view: a view that detected it itself would parse every line twice on every query that binds it. The views
    /// are redefined whenever the files change (or an open file grows), so a new field still appears at once.
    /// </summary>
    private string Flattened(DuckDbConnection connection, List<string> files, bool tolerateTornLines)
    {
        // Sealed files never change: the SELECT over a set of them is kept, so a query after one more event (an open
        // file grew) re-reads the schema of the open files only, not of every sealed file of the type.
        var key = (tolerateTornLines ? "a\n" : "s\n") + string.Join('\n', files);
        // A definition interrupted by a timeout keeps what it learned (in the used set) for the next one.
        if (!tolerateTornLines && (_flattened.TryGetValue(key, out var known) || _flattenedUsed.TryGetValue(key, out known)))
        {
            _flattenedUsed[key] = known;
            return known;
        }

        var select = FlattenedUncached(connection, files, tolerateTornLines);
        if (!tolerateTornLines)
        {
            _flattenedUsed[key] = select;
        }

        return select;
    }

    private static string FlattenedUncached(DuckDbConnection connection, List<string> files, bool tolerateTornLines)
    {
        var detecting = Compactor.NdjsonSource(files, tolerateTornLines, hive: true);
        var described = connection.QueryAll($"DESCRIBE SELECT * FROM {detecting}");
        var columns = "{" + string.Join(", ", described.Rows
            .Select(r => ((string)r[0]!, (string)r[1]!))
            .Where(c => c.Item1 is not ("day" or "hour"))
            .Select(c => $"{Sql.Literal(c.Item1)}: {Sql.Literal(c.Item2)}")) + "}";
        var source = Compactor.NdjsonSource(files, tolerateTornLines, hive: true, columns);
        using var probe = connection.Query($"SELECT * FROM {source} LIMIT 0");
        return $"SELECT {EventColumns.FlatteningSelectList(probe.Columns)} FROM {source}";
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

/// <summary>Bounds on one query.</summary>
public readonly record struct QueryLimits
{
    /// <summary>Interrupts the query (DuckDB's interrupt) when cancelled. Default none.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>
    /// The most rows the consumer will read: DuckDB is asked for one more (to tell that there were more) and no
    /// further. Default null: all of them.
    /// </summary>
    public int? MaxRows { get; init; }
}

/// <summary>A query's result and, when asked for, what it read.</summary>
/// <param name="Result">Columns and rows.</param>
/// <param name="Stats">Files read, when stats were collected.</param>
public sealed record StoreQueryResult(QueryResult Result, QueryStats? Stats);

/// <summary>What a query read: partition pruning shows as <see cref="FilesRead"/> below <see cref="FilesConsidered"/>.</summary>
/// <param name="Scans">File scans in the plan.</param>
/// <param name="FilesRead">Files opened, over all scans.</param>
/// <param name="FilesConsidered">Files the scans could have opened before pruning.</param>
/// <param name="Elapsed">Time to define the views and run the query.</param>
public sealed record QueryStats(int Scans, long FilesRead, long FilesConsidered, TimeSpan Elapsed)
{
    /// <summary>Files the views leave out because DuckDB cannot read them, each with why. Default none.</summary>
    public IReadOnlyList<string> SkippedFiles { get; init; } = [];
}
