using System.Buffers.Binary;
using System.Text;

namespace Oxbow.Store;

/// <summary>
/// What the spool keeps for a placed batch: for each file it went to, the file's length after it and the length
/// and CRC-32C of the batch's bytes there, as [path length (u16 LE, top bit set), path (UTF-8), end (i64 LE),
/// length (u32 LE), CRC-32C (u32 LE)], repeated. The spool's own checksum covers the record; this one covers the
/// data it points to. Records from before the checksum have the top bit clear and end after the end.
/// </summary>
internal static class PlacementRecord
{
    private const ushort HasChecksum = 0x8000;

    /// <summary>The record for a batch that went to <paramref name="regions"/> (each with its length and checksum).</summary>
    public static byte[] Write(IReadOnlyList<PlacedRegion> regions)
    {
        var size = 0;
        foreach (var region in regions)
        {
            size += 2 + Encoding.UTF8.GetByteCount(region.Path) + 8 + 4 + 4;
        }

        var record = new byte[size];
        var offset = 0;
        foreach (var region in regions)
        {
            var length = Encoding.UTF8.GetBytes(region.Path, record.AsSpan(offset + 2));
            BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(offset), (ushort)(length | HasChecksum));
            offset += 2 + length;
            BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(offset), region.End);
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(offset + 8), region.Length ?? throw new ArgumentException("a new record has every region's length", nameof(regions)));
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(offset + 12), region.Checksum);
            offset += 16;
        }

        return record;
    }

    /// <summary>The record's entries; a record that does not parse ends early (its checksum passed, so only a bug gets here).</summary>
    public static List<PlacedRegion> Read(ReadOnlySpan<byte> record)
    {
        List<PlacedRegion> regions = [];
        while (record.Length >= 2)
        {
            var header = BinaryPrimitives.ReadUInt16LittleEndian(record);
            var checksummed = (header & HasChecksum) != 0;
            var length = header & ~HasChecksum;
            var size = 2 + length + 8 + (checksummed ? 8 : 0);
            if (record.Length < size)
            {
                break;
            }

            var end = BinaryPrimitives.ReadInt64LittleEndian(record[(2 + length)..]);
            regions.Add(checksummed
                ? new PlacedRegion(Encoding.UTF8.GetString(record.Slice(2, length)), end,
                    BinaryPrimitives.ReadUInt32LittleEndian(record[(2 + length + 8)..]), BinaryPrimitives.ReadUInt32LittleEndian(record[(2 + length + 12)..]))
                : new PlacedRegion(Encoding.UTF8.GetString(record.Slice(2, length)), end, null, 0));
            record = record[size..];
        }

        return regions;
    }
}

/// <summary>One batch's bytes in one file (<paramref name="Path"/>, relative to the data directory): they end at <paramref name="End"/>; length and CRC-32C when recorded.</summary>
internal readonly record struct PlacedRegion(string Path, long End, uint? Length, uint Checksum);
