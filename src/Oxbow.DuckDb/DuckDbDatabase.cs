namespace Oxbow.DuckDb;

/// <summary>
/// One DuckDB database: in memory (the default, what queries over the store use) or a file. Open connections with
/// <see cref="Connect"/>; dispose the connections first, then the database.
/// </summary>
public sealed class DuckDbDatabase : IDisposable
{
    private nint _handle;

    private DuckDbDatabase(nint handle) => _handle = handle;

    /// <summary>
    /// Opens a database. <paramref name="path"/> null means in memory. <paramref name="settings"/> are DuckDB
    /// configuration options such as <c>threads</c> or <c>memory_limit</c>. Extensions are never downloaded or
    /// loaded on demand (<c>autoinstall_known_extensions</c> and <c>autoload_known_extensions</c> are false unless
    /// <paramref name="settings"/> says otherwise): Oxbow needs only what is built in, and must not fetch code.
    /// </summary>
    /// <exception cref="DuckDbException">The library is missing, a setting is rejected, or the file cannot be opened.</exception>
    public static DuckDbDatabase Open(string? path = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        DuckDbLibrary.EnsureLoaded();
        NativeMethods.CreateConfig(out var config);
        try
        {
            Dictionary<string, string> all = new() { ["autoinstall_known_extensions"] = "false", ["autoload_known_extensions"] = "false" };
            foreach (var (name, value) in settings ?? new Dictionary<string, string>())
            {
                all[name] = value;
            }

            foreach (var (name, value) in all)
            {
                if (NativeMethods.SetConfig(config, name, value) != NativeMethods.Success)
                {
                    throw new DuckDbException($"DuckDB rejected the setting {name}={value}", DuckDbErrorType.InvalidInput);
                }
            }

            if (NativeMethods.OpenExt(path, out var database, config, out var error) != NativeMethods.Success)
            {
                throw new DuckDbException(error == 0 ? $"DuckDB could not open {path ?? ":memory:"}" : NativeMethods.TakeString(error), DuckDbErrorType.IO);
            }

            return new DuckDbDatabase(database);
        }
        finally
        {
            NativeMethods.DestroyConfig(ref config);
        }
    }

    /// <summary>Opens a connection; each connection is used by one thread at a time.</summary>
    public DuckDbConnection Connect()
    {
        ObjectDisposedException.ThrowIf(_handle == 0, this);
        return NativeMethods.Connect(_handle, out var connection) == NativeMethods.Success
            ? new DuckDbConnection(connection)
            : throw new DuckDbException("DuckDB could not open a connection", DuckDbErrorType.Unknown);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_handle != 0)
        {
            NativeMethods.Close(ref _handle);
            _handle = 0;
        }
    }
}
