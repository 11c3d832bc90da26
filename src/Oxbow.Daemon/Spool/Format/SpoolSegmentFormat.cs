using System.Buffers.Binary;
using System.Globalization;

namespace Oxbow.Daemon.Spool.Format;

/// <summary>
/// A segment file: a 16-byte header, then records (<see cref="SpoolRecordFormat"/>). Header: <c>OXSPOOL1</c> (records
/// hold the data) or <c>OXSPOOL2</c> (records say where a placement put it), then the segment number (u64 LE). The file
/// is named by its number, twenty digits, <c>.seg</c>.
/// </summary>
internal static class SpoolSegmentFormat
{
    public const int HeaderLength = 16;
    public const string Suffix = ".seg";

    private static ReadOnlySpan<byte> DataMagic => "OXSPOOL1"u8;

    private static ReadOnlySpan<byte> PlacedMagic => "OXSPOOL2"u8;

    public static void WriteHeader(Span<byte> header, long number, bool placed)
    {
        (placed ? PlacedMagic : DataMagic).CopyTo(header);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], number);
    }

    /// <summary>Whether a header says its records are placement records; false for data records and for anything torn.</summary>
    public static bool IsPlaced(ReadOnlySpan<byte> header) => header.Length >= 8 && header[..8].SequenceEqual(PlacedMagic);

    public static string FileName(long number) => number.ToString("D20", CultureInfo.InvariantCulture) + Suffix;

    /// <summary>The number a segment file's name gives, or -1 for a name that is not a segment's.</summary>
    public static long NumberOf(string path) =>
        Path.GetFileName(path) is { } name && name.EndsWith(Suffix, StringComparison.Ordinal)
            && long.TryParse(name.AsSpan(0, name.Length - Suffix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            && number > 0
            ? number
            : -1;
}
