using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Oxbow.DuckDb;

namespace Oxbow.Query.Store;

/// <summary>The engine: one DuckDB opened confined to the data directories, a pool of connections (one per running query), and its private directory.</summary>
public sealed partial class StoreQuery
{
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

        /// <summary>Files the running query's narrowed view left out.</summary>
        public int NarrowedAway { get; set; }

        /// <summary>Set when the connection must not serve another query (it may hold a narrowed view).</summary>
        public bool Discard { get; set; }
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
            if (!_disposed && !worker.Discard)
            {
                _idle.Push(worker);
                return;
            }

            worker.Connection.Dispose();
            if (_disposed && _busy.Count == 0)
            {
                CloseDatabase();
            }
        }
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
}
