using System.Buffers.Binary;
using System.Numerics;

namespace Oxbow.Transport;

/// <summary>
/// CRC-32C (Castagnoli), the checksum on batches and spool records. System.IO.Hashing is not available here, and
/// <see cref="BitOperations.Crc32C(uint, ulong)"/> uses the CPU's CRC32 instruction where there is one.
/// </summary>
internal static class Crc32C
{
    /// <summary>The CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Continues a CRC-32C over more data: <c>Append(Compute(a), b) == Compute(a + b)</c>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var state = ~crc;
        while (data.Length >= 8)
        {
            state = BitOperations.Crc32C(state, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (var b in data)
        {
            state = BitOperations.Crc32C(state, b);
        }

        return ~state;
    }
}
