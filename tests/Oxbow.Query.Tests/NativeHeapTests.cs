using System.Runtime.InteropServices;
using Oxbow.DuckDb;

namespace Oxbow.Query.Tests;

public sealed unsafe class NativeHeapTests
{
    // glibc's struct mallinfo2: ten size_t counters; hblkhd is the bytes in chunks mapped on their own.
    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint Arena, OrdBlks, SmBlks, HBlks, HBlkHd, UsmBlks, FsmBlks, UordBlks, FordBlks, KeepCost;
    }

    [Fact]
    public void Once_DuckDB_is_loaded_a_48_MiB_allocation_comes_from_the_heap_instead_of_a_fresh_mapping()
    {
        // Only glibc has these thresholds; elsewhere Oxbow leaves the C heap alone and there is nothing to check.
        if (!NativeLibrary.TryLoad("libc.so.6", out var libc) || !NativeLibrary.TryGetExport(libc, "mallinfo2", out var export))
        {
            return;
        }

        using (DuckDbDatabase.Open())
        {
        }

        Assert.True(NativeHeap.KeepFreedMemory());
        var mallinfo2 = (delegate* unmanaged<MallInfo2>)export;
        const int size = 48 << 20; // over glibc's highest default threshold (32 MiB), under Oxbow's
        var mappedBefore = mallinfo2().HBlkHd;
        var block = NativeMemory.Alloc(size);
        try
        {
            // Other tests' threads can only unmap meanwhile (nothing of this size maps any more), so "grew by less
            // than the block" holds whatever they do, and fails if this block was mapped on its own.
            Assert.True(mallinfo2().HBlkHd < mappedBefore + size, "the block was mapped on its own");
        }
        finally
        {
            NativeMemory.Free(block);
        }
    }
}
