using System.Buffers;

namespace Oxbow.Receivers.Events;

/// <summary>
/// A growing buffer rented from the shared pool, for a request's event lines: a new array each request (as
/// <see cref="ArrayBufferWriter{T}"/> makes) is a large-object allocation, zeroed, for every export. Disposing returns
/// the array; nothing may hold <see cref="WrittenMemory"/> after.
/// </summary>
internal sealed class PooledBufferWriter(int initialCapacity) : IBufferWriter<byte>, IDisposable
{
    private byte[] _array = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, 256));
    private int _written;

    public int WrittenCount => _written;

    public ReadOnlySpan<byte> WrittenSpan => _array.AsSpan(0, _written);

    public ReadOnlyMemory<byte> WrittenMemory => _array.AsMemory(0, _written);

    /// <summary>Cuts what was written back to its first <paramref name="length"/> bytes.</summary>
    public void Truncate(int length) => _written = Math.Min(length, _written);

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _array.Length - _written);
        _written += count;
    }

    // Reserve first: it may replace _array, and "_array.AsMemory(Reserve(…))" would read the old one (returned to
    // the pool) before the call.
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        var offset = Reserve(sizeHint);
        return _array.AsMemory(offset);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        var offset = Reserve(sizeHint);
        return _array.AsSpan(offset);
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        _written += bytes.Length;
    }

    public void Dispose()
    {
        var array = Interlocked.Exchange(ref _array, []);
        if (array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    private int Reserve(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_array.Length - _written < needed)
        {
            var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, Math.Max((long)_array.Length * 2, (long)_written + needed)));
            WrittenSpan.CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_array);
            _array = bigger;
        }

        return _written;
    }
}
