using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Oxbow.Codec;

/// <summary>
/// The writer's binary side: primitives for log records (Logging/LogRecord), which carry raw values from the calling
/// thread to the writer thread in the same pooled buffer. Little-endian, unaligned, never seen outside the process.
/// </summary>
internal sealed partial class Utf8EventWriter
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Int32Bits(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(Reserve(4), value);
        _position += 4;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Int64Bits(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(Reserve(8), value);
        _position += 8;
    }

    /// <summary>Room for <paramref name="size"/> bytes at the end, to fill and then <see cref="Advance"/> past.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> GetSpan(int size) => Reserve(size);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Advance(int count) => _position += count;

    /// <summary>Overwrites four bytes written earlier at <paramref name="position"/> (a length known only afterwards).</summary>
    public void PatchInt32(int position, int value) => BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(position), value);

    /// <summary>A string's UTF-16 code units as they are, after their count: a copy, no transcoding or escaping.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Utf16Bits(ReadOnlySpan<char> value)
    {
        var bytes = MemoryMarshal.AsBytes(value);
        var span = Reserve(4 + bytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span, value.Length);
        bytes.CopyTo(span[4..]);
        _position += 4 + bytes.Length;
    }

    /// <summary>Bytes after their count.</summary>
    public void BytesWithLength(ReadOnlySpan<byte> value)
    {
        Int32Bits(value.Length);
        Raw(value);
    }
}
