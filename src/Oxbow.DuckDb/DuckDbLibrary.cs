using System.Reflection;
using System.Runtime.InteropServices;

namespace Oxbow.DuckDb;

/// <summary>
/// Finds DuckDB's native library. In order: <see cref="Path"/> if set, the <c>OXBOW_DUCKDB_LIBRARY</c> environment
/// variable, then the runtime's own probing: the <c>runtimes/&lt;rid&gt;/native</c> asset of the DuckDB.NET.Bindings.Full
/// package listed in the program's deps.json (or beside the program when published for one runtime), then the system's
/// search path.
/// </summary>
public static class DuckDbLibrary
{
    /// <summary>The environment variable that names the library file.</summary>
    public const string EnvironmentVariable = "OXBOW_DUCKDB_LIBRARY";

    private static readonly Lock Gate = new();
    private static string? _path;
    private static nint _handle;
    private static string? _loadedFrom;

    /// <summary>
    /// The library file to load; null (the default) searches as described on the class. Takes effect only before the
    /// first database is opened: a process loads one DuckDB.
    /// </summary>
    public static string? Path
    {
        get => _path;
        set
        {
            lock (Gate)
            {
                if (_handle != 0 && value != _loadedFrom)
                {
                    throw new InvalidOperationException($"DuckDB is already loaded from {_loadedFrom}");
                }

                _path = value;
            }
        }
    }

    /// <summary>Where the library was loaded from, once it is.</summary>
    public static string? LoadedFrom => _loadedFrom;

    /// <summary>DuckDB's version string, such as <c>v1.5.6</c>; loads the library.</summary>
    public static string Version
    {
        get
        {
            EnsureLoaded();
            return Marshal.PtrToStringUTF8(NativeMethods.LibraryVersion()) ?? "";
        }
    }

    /// <summary>Loads the library once; throws <see cref="DuckDbException"/> naming every place tried.</summary>
    internal static void EnsureLoaded()
    {
        if (Volatile.Read(ref _handle) != 0)
        {
            return;
        }

        lock (Gate)
        {
            if (_handle != 0)
            {
                return;
            }

            List<string> tried = [];
            foreach (var candidate in Candidates())
            {
                tried.Add(candidate);
                if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var handle))
                {
                    Register(handle, candidate);
                    return;
                }
            }

            if (tried.Count == 0 &&
                NativeLibrary.TryLoad(NativeMethods.Library, typeof(DuckDbLibrary).Assembly, searchPath: null, out var probed))
            {
                Register(probed, "duckdb (the program's native assets and the system search path)");
                return;
            }

            var where = tried.Count == 0 ? "the program's native assets and the system search path" : string.Join(", ", tried);
            throw new DuckDbException(
                $"DuckDB's native library was not found (tried {where}); set {EnvironmentVariable} to the path of a " +
                "libduckdb v1.5 for this platform", DuckDbErrorType.Unknown);
        }
    }

    private static IEnumerable<string> Candidates()
    {
        if (_path is { Length: > 0 })
        {
            yield return System.IO.Path.GetFullPath(_path);
            yield break;
        }

        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnvironment)
        {
            yield return System.IO.Path.GetFullPath(fromEnvironment);
            yield break;
        }
    }

    private static void Register(nint handle, string from)
    {
        NativeHeap.KeepFreedMemory();
        NativeLibrary.SetDllImportResolver(typeof(DuckDbLibrary).Assembly, Resolve);
        _loadedFrom = from;
        Volatile.Write(ref _handle, handle);
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == NativeMethods.Library ? _handle : 0;
}
