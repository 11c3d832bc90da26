using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace Oxbow.Daemon.Buffers;

/// <summary>
/// Kestrel's memory pool, with 64 KiB blocks instead of its default 4 KiB. The socket transport receives into one
/// block per <c>recv</c>, so a 300 KiB batch took some 80 system calls; with 64 KiB blocks it takes about five.
/// Kestrel asks for a pool through <see cref="IMemoryPoolFactory{T}"/> in its services.
/// </summary>
internal sealed class LargeBlockMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new LargeBlockMemoryPool();
}

/// <summary>
/// Pinned 64 KiB blocks (the socket layer pins what it receives into; pinned arrays cost the GC nothing to move),
/// reused up to <see cref="RetainedBlocks"/> and otherwise left to the GC, so an idle daemon gives memory back.
/// </summary>
internal sealed class LargeBlockMemoryPool : MemoryPool<byte>
{
    /// <summary>Bytes per block.</summary>
    public const int BlockSize = 64 * 1024;

    /// <summary>Blocks kept for reuse: 16 MiB in all.</summary>
    public const int RetainedBlocks = 256;

    private readonly ConcurrentQueue<byte[]> _free = new();
    private int _freeCount;

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > BlockSize)
        {
            throw new ArgumentOutOfRangeException(nameof(minBufferSize), minBufferSize, $"at most {BlockSize} bytes");
        }

        if (_free.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _freeCount);
        }
        else
        {
            block = GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);
        }

        return new Block(this, block);
    }

    protected override void Dispose(bool disposing)
    {
        _free.Clear();
    }

    private void Return(byte[] block)
    {
        if (Interlocked.Increment(ref _freeCount) <= RetainedBlocks)
        {
            _free.Enqueue(block);
        }
        else
        {
            Interlocked.Decrement(ref _freeCount);
        }
    }

    private sealed class Block(LargeBlockMemoryPool pool, byte[] array) : IMemoryOwner<byte>
    {
        private byte[]? _array = array;

        public Memory<byte> Memory => _array ?? throw new ObjectDisposedException(nameof(Block));

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _array, null) is { } array)
            {
                pool.Return(array);
            }
        }
    }
}
