using System.Collections;
using System.Runtime.InteropServices;

namespace Oxbow.Cli.Native;

/// <summary>
/// Starts <c>oxbow serve</c> with glibc's malloc in one arena and on transparent huge pages, by replacing the process
/// with itself once (same process id, same arguments, same open standard streams) with
/// <c>glibc.malloc.arena_max=1</c> and <c>glibc.malloc.hugetlb=1</c> added to <c>GLIBC_TUNABLES</c>.
/// </summary>
/// <remarks>
/// DuckDB's exact quantiles and lists keep their values in C++ vectors. On a worker thread's arena, whose heaps are at
/// most 64 MiB, any vector over that is a fresh mapping that is faulted in page by page and unmapped when the query
/// ends: an exact p95 over 20M values took 0.73–0.85 s in a collector this way and 0.53–0.66 s with one arena, whose
/// heap grows without that limit and keeps what a query frees (<c>Oxbow.DuckDb/NativeHeap</c>) for the next one.
/// DuckDB still hands the heap's free pages back (<c>malloc_trim</c>) when its workers go idle, so a query after a
/// pause faulted some 50,000 4 KiB pages in again; on huge pages that is a few thousand faults (docs/benchmarks.md).
/// Tunables can only be set before the first thread allocates, hence the environment and the re-exec. DuckDB's
/// buffers and most of the collector's memory do not come from malloc. A setting the environment already has is left
/// as it is, and so are other C libraries and systems.
/// </remarks>
internal static partial class MallocTunables
{
    private const string Variable = "GLIBC_TUNABLES";

    private static readonly (string Name, string Value)[] Settings = [("glibc.malloc.arena_max", "1"), ("glibc.malloc.hugetlb", "1")];

    /// <summary>Re-executes the process once with the settings it lacks; returns only when it did not (or could not).</summary>
    public static void Apply()
    {
        var tunables = Environment.GetEnvironmentVariable(Variable) ?? "";
        var missing = Settings.Where(s => !tunables.Contains(s.Name, StringComparison.Ordinal)).Select(s => $"{s.Name}={s.Value}").ToList();
        if (!OperatingSystem.IsLinux() || missing.Count == 0 || !IsGlibc())
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

        environment.Add($"{Variable}={string.Join(':', tunables.Length == 0 ? missing : [tunables, .. missing])}");
        environment.Add(null);
        Execve("/proc/self/exe", [.. arguments, null], [.. environment]); // returns only on failure: carry on as is
    }

    private static bool IsGlibc() =>
        NativeLibrary.TryLoad("libc.so.6", out var libc) && NativeLibrary.TryGetExport(libc, "gnu_get_libc_version", out _);

    [LibraryImport("libc", EntryPoint = "execve", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Execve(string path, string?[] arguments, string?[] environment);
}
