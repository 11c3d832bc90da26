using System.Runtime.InteropServices;
using Oxbow.Daemon.Buffers;

namespace Oxbow.Daemon.Tests;

public sealed class LargeBlockMemoryPoolTests
{
    private static byte[] ArrayOf(Memory<byte> memory) =>
        MemoryMarshal.TryGetArray<byte>(memory, out var segment) ? segment.Array! : throw new InvalidOperationException("not an array");

    [Fact]
    public void Every_block_is_64_KiB_whatever_is_asked_and_a_returned_block_is_handed_out_again()
    {
        using var pool = new LargeBlockMemoryPool();
        var first = pool.Rent(1);
        var array = ArrayOf(first.Memory);
        Assert.Equal(64 * 1024, first.Memory.Length);
        Assert.Equal(64 * 1024, pool.MaxBufferSize);

        first.Dispose();
        first.Dispose(); // a second dispose must not return the block twice
        var second = pool.Rent();
        var third = pool.Rent();

        Assert.Same(array, ArrayOf(second.Memory));
        Assert.NotSame(array, ArrayOf(third.Memory));
        Assert.Throws<ObjectDisposedException>(() => first.Memory);
    }

    [Fact]
    public void A_request_over_64_KiB_is_refused()
    {
        using var pool = new LargeBlockMemoryPool();
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent((64 * 1024) + 1));
    }

    [Fact]
    public void At_most_256_returned_blocks_are_kept()
    {
        using var pool = new LargeBlockMemoryPool();
        var rented = Enumerable.Range(0, 300).Select(_ => pool.Rent()).ToList();
        var arrays = rented.Select(r => ArrayOf(r.Memory)).ToHashSet(ReferenceEqualityComparer.Instance);
        rented.ForEach(r => r.Dispose());

        var again = Enumerable.Range(0, 300).Select(_ => ArrayOf(pool.Rent().Memory)).ToList();

        Assert.Equal(LargeBlockMemoryPool.RetainedBlocks, again.Count(arrays.Contains));
    }
}
