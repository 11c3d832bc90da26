using System.Runtime.InteropServices;

namespace Oxbow.DuckDb;

/// <summary>
/// Keeps the C heap's freed memory in the process for the next query, on glibc.
/// </summary>
/// <remarks>
/// DuckDB's holistic aggregates (exact quantiles, <c>list</c>, <c>mode</c>) hold their values in plain C++ vectors, so
/// an exact p95 over 20M values builds and frees a few hundred MB per query. glibc serves every allocation over its
/// mmap threshold (128 KiB, rising to at most 32 MiB) with a fresh mapping and unmaps it on free, so every query
/// faulted in those pages again: about 80,000 page faults and half of the p95's time at 50M events
/// (docs/benchmarks.md). With both thresholds at <see cref="KeptBytes"/>, those vectors come from the heap and up to
/// that much freed memory stays mapped for the next query. Other C libraries are left alone.
/// </remarks>
internal static unsafe class NativeHeap
{
    /// <summary>The largest allocation served from the heap, and the most freed memory kept mapped: 512 MiB.</summary>
    internal const int KeptBytes = 512 << 20;

    private const int TrimThreshold = -1; // M_TRIM_THRESHOLD in glibc's malloc.h
    private const int MmapThreshold = -3; // M_MMAP_THRESHOLD

    private static int _applied; // 0 not tried, 1 applied, 2 not glibc or refused

    /// <summary>Sets glibc's thresholds once per process; true when they are in effect.</summary>
    internal static bool KeepFreedMemory()
    {
        if (Volatile.Read(ref _applied) == 0)
        {
            Interlocked.CompareExchange(ref _applied, Apply() ? 1 : 2, 0);
        }

        return _applied == 1;
    }

    private static bool Apply()
    {
        // musl and the other platforms have no libc.so.6, or no mallopt that means the same.
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc.so.6", out var libc) ||
            !NativeLibrary.TryGetExport(libc, "mallopt", out var export))
        {
            return false;
        }

        var mallopt = (delegate* unmanaged<int, int, int>)export;
        return mallopt(MmapThreshold, KeptBytes) == 1 && mallopt(TrimThreshold, KeptBytes) == 1;
    }
}
