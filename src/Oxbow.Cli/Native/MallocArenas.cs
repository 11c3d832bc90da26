using System.Collections;
using System.Runtime.InteropServices;

namespace Oxbow.Cli.Native;

/// <summary>
/// Starts <c>oxbow serve</c> with glibc's malloc in one arena, by replacing the process with itself once (same
/// process id, same arguments, same open standard streams) with <c>glibc.malloc.arena_max=1</c> added to
/// <c>GLIBC_TUNABLES</c>.
/// </summary>
/// <remarks>
/// DuckDB's exact quantiles and lists keep their values in C++ vectors. On a worker thread's arena, whose heaps are at
/// most 64 MiB, any vector over that is a fresh mapping that is faulted in page by page and unmapped when the query
/// ends: an exact p95 over 20M values took 0.73–0.85 s in a collector this way and 0.53–0.66 s with one arena, whose
/// heap grows without that limit and keeps what a query frees (<c>Oxbow.DuckDb/NativeHeap</c>) for the next one
/// (docs/benchmarks.md). The arena count can only be set before the first thread allocates, hence the environment
/// and the re-exec. DuckDB's buffers and most of the collector's memory do not come from malloc, so one arena costs
/// the rest of the collector nothing measurable. A <c>GLIBC_TUNABLES</c> that already sets <c>arena_max</c> is left
/// as it is, and so are other C libraries and systems.
/// </remarks>
internal static partial class MallocArenas
{
    private const string Variable = "GLIBC_TUNABLES";
    private const string Setting = "glibc.malloc.arena_max";

    /// <summary>Re-executes the process once with one arena; returns only when it did not (or could not).</summary>
    public static void UseOneArena()
    {
        var tunables = Environment.GetEnvironmentVariable(Variable);
        if (!OperatingSystem.IsLinux() || tunables?.Contains(Setting, StringComparison.Ordinal) == true || !IsGlibc())
        {
            return;
        }

        string[] arguments;
        try
        {
            // The host's own argument vector ("dotnet Oxbow.Cli.dll serve …" or the apphost's), not the managed one.
            arguments = File.ReadAllText("/proc/self/cmdline").TrimEnd('\0').Split('\0');
        }
        catch (IOException)
        {
            return;
        }

        List<string?> environment = [];
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if ((string)entry.Key != Variable)
            {
                environment.Add($"{entry.Key}={entry.Value}");
            }
        }

        environment.Add($"{Variable}={(string.IsNullOrEmpty(tunables) ? "" : tunables + ":")}{Setting}=1");
        environment.Add(null);
        Execve("/proc/self/exe", [.. arguments, null], [.. environment]); // returns only on failure: carry on as is
    }

    private static bool IsGlibc() =>
        NativeLibrary.TryLoad("libc.so.6", out var libc) && NativeLibrary.TryGetExport(libc, "gnu_get_libc_version", out _);

    [LibraryImport("libc", EntryPoint = "execve", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Execve(string path, string?[] arguments, string?[] environment);
}
