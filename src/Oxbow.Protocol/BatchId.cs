using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;

namespace Oxbow.Transport;

/// <summary>
/// The 128-bit identity of a batch. A sender gives every batch a new random id and resends a batch with the same id,
/// so a receiver that already made it durable acknowledges it again instead of storing it twice.
/// </summary>
internal readonly record struct BatchId(ulong High, ulong Low)
{
    /// <summary>A new random id.</summary>
    public static BatchId New()
    {
        Span<byte> bytes = stackalloc byte[Protocol.BatchIdLength];
        RandomNumberGenerator.Fill(bytes);
        return Read(bytes);
    }

    /// <summary>Reads 16 big-endian bytes.</summary>
    public static BatchId Read(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(source), BinaryPrimitives.ReadUInt64BigEndian(source[8..]));

    /// <summary>Writes 16 big-endian bytes.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, High);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Low);
    }

    /// <summary>32 lower-case hex digits.</summary>
    public override string ToString() =>
        High.ToString("x16", CultureInfo.InvariantCulture) + Low.ToString("x16", CultureInfo.InvariantCulture);
}
