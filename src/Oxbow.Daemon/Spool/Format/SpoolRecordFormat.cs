using System.Buffers.Binary;
using Oxbow.IO;
using Oxbow.Transport;

namespace Oxbow.Daemon.Spool.Format;

/// <summary>What reading a spool record found.</summary>
internal enum RecordStatus
{
    /// <summary>The whole record is there and its checksum matches.</summary>
    Valid,

    /// <summary>The record runs past the end of what was written: a write cut short by a crash.</summary>
    Torn,

    /// <summary>The record is all there but wrong: an impossible length or a checksum that does not match.</summary>
    Corrupt,
}

/// <summary>
/// One spool record, spelled once for writing and reading: a 28-byte head, then the payload (NDJSON, or with a
/// placement the record of where the data went).
/// </summary>
/// <remarks>
/// Head, little-endian: the length of everything after the first eight bytes (u32: 20 + the payload's length), a
/// CRC-32C of everything after the first eight bytes (u32), the batch id (16 bytes), the event count (u32).
/// </remarks>
internal static class SpoolRecordFormat
{
    public const int HeadLength = 28;

    private const int LengthAt = 0;
    private const int CrcAt = 4;
    private const int IdAt = 8;
    private const int EventsAt = 24;

    // The length field counts what the checksum covers: the id, the event count and the payload.
    private const int CheckedHeadLength = HeadLength - IdAt;

    /// <summary>The bytes a record with a payload of <paramref name="payloadLength"/> takes.</summary>
    public static long Size(int payloadLength) => HeadLength + (long)payloadLength;

    /// <summary>Writes the head of the record for <paramref name="payload"/> into <paramref name="head"/> (28 bytes).</summary>
    public static void EncodeHead(Span<byte> head, BatchId id, int eventCount, ReadOnlySpan<byte> payload)
    {
        BinaryPrimitives.WriteInt32LittleEndian(head[LengthAt..], CheckedHeadLength + payload.Length);
        id.Write(head[IdAt..]);
        BinaryPrimitives.WriteInt32LittleEndian(head[EventsAt..], eventCount);
        BinaryPrimitives.WriteUInt32LittleEndian(head[CrcAt..], Crc32C.Append(Crc32C.Compute(head[IdAt..HeadLength]), payload));
    }

    /// <summary>
    /// Reads a head found <paramref name="available"/> bytes before the end of what was written (the head included):
    /// the payload's length, or why there is no whole record here.
    /// </summary>
    public static RecordStatus DecodeHead(ReadOnlySpan<byte> head, long available, out int payloadLength)
    {
        payloadLength = 0;
        if (head.Length < HeadLength || available < HeadLength)
        {
            return RecordStatus.Torn;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(head[LengthAt..]);
        if (length < CheckedHeadLength)
        {
            return RecordStatus.Corrupt;
        }

        payloadLength = length - CheckedHeadLength;
        return Size(payloadLength) > available ? RecordStatus.Torn : RecordStatus.Valid;
    }

    /// <summary>Checks a whole record: <see cref="RecordStatus.Valid"/> or <see cref="RecordStatus.Corrupt"/>.</summary>
    public static RecordStatus Verify(ReadOnlySpan<byte> head, ReadOnlySpan<byte> payload) =>
        Crc32C.Append(Crc32C.Compute(head[IdAt..HeadLength]), payload) == BinaryPrimitives.ReadUInt32LittleEndian(head[CrcAt..])
            ? RecordStatus.Valid
            : RecordStatus.Corrupt;

    public static BatchId BatchIdOf(ReadOnlySpan<byte> head) => BatchId.Read(head[IdAt..]);

    public static int EventCountOf(ReadOnlySpan<byte> head) => BinaryPrimitives.ReadInt32LittleEndian(head[EventsAt..]);
}
