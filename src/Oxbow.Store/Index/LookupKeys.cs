using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Oxbow.Store;

namespace Oxbow.Store.Index;

/// <summary>
/// The lookup index of one compacted Parquet file: for each indexed column (<see cref="Columns"/>), a split-block
/// Bloom filter of its distinct values. Compaction writes it beside the file as <c>C.parquet.keys</c>, and a query
/// for <c>trace_id = '…'</c> or <c>id = '…'</c> asks each file's filter in memory instead of opening every file:
/// the cost of a lookup then follows the files that may hold the value, not the size of the store.
/// </summary>
/// <remarks>
/// <para>The filter answers "certainly not here" or "maybe here" (wrongly about 1 in 10,000 at 24 bits per value: at
/// 16 bits, 1 in 1,500 meant two or three needless files per lookup in a store of 3,600 files), so a lookup
/// can only read too many files, never too few. A file whose index is missing, damaged or written for other bytes
/// (its length differs) is always read: the index is an optimisation, and its absence is never an error.</para>
/// <para>Format, little-endian: <c>OXKEYS01</c>; the Parquet file's length (int64); the number of columns (int32);
/// per column its name (a byte of length, then UTF-8), the distinct values (int64), the blocks (int32) and the blocks
/// themselves (8 × uint32 each); then a CRC-32 of everything before it. The block layout and salts are Parquet's
/// split-block Bloom filter, so the hashing is a published, tested design.</para>
/// </remarks>
internal sealed class LookupKeys
{
    /// <summary>The columns compaction indexes: the ones the console's request and trace views look up by.</summary>
    public static readonly string[] Columns = ["id", "trace_id"];

    /// <summary>Suffix of the index beside its Parquet file.</summary>
    public const string Suffix = StoreLayout.LookupIndexSuffix;

    private const int BitsPerValue = 24;
    private static ReadOnlySpan<byte> Magic => "OXKEYS01"u8;
    private static readonly uint[] Salt = [0x47b6137bU, 0x44974d91U, 0x8824ad5bU, 0xa2b7289dU, 0x705495c7U, 0x2df1424bU, 0x9efc4947U, 0x5c6bfb31U];

    private readonly Dictionary<string, uint[]> _filters;

    private LookupKeys(long parquetLength, Dictionary<string, uint[]> filters)
    {
        ParquetLength = parquetLength;
        _filters = filters;
    }

    /// <summary>The length of the Parquet file this index describes.</summary>
    public long ParquetLength { get; }

    /// <summary>Bytes the filters take in memory.</summary>
    public long Bytes => _filters.Values.Sum(f => (long)f.Length * sizeof(uint)) + 64;

    /// <summary>The 64-bit hash a value is filed under (XxHash3 of its UTF-8).</summary>
    public static ulong Hash(string value)
    {
        var length = Encoding.UTF8.GetMaxByteCount(value.Length);
        Span<byte> buffer = length <= 512 ? stackalloc byte[length] : new byte[length];
        var written = Encoding.UTF8.GetBytes(value, buffer);
        return XxHash3.HashToUInt64(buffer[..written]);
    }

    /// <summary>
    /// False when the file certainly holds no row whose <paramref name="column"/> equals the value hashed to
    /// <paramref name="hash"/>; true when it may, or when that column is not indexed here.
    /// </summary>
    public bool MayContain(string column, ulong hash) =>
        !_filters.TryGetValue(column, out var blocks) || Test(blocks, hash);

    /// <summary>Builds the index of a Parquet file of <paramref name="parquetLength"/> bytes from each column's distinct values.</summary>
    public static byte[] Build(long parquetLength, IReadOnlyDictionary<string, IReadOnlyCollection<string>> distinct)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(parquetLength);
            writer.Write(distinct.Count);
            foreach (var (column, values) in distinct.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                var name = Encoding.UTF8.GetBytes(column);
                writer.Write((byte)name.Length);
                writer.Write(name);
                var blocks = new uint[Math.Max(1, (int)Math.Min(int.MaxValue / 8, ((long)values.Count * BitsPerValue + 255) / 256)) * 8];
                foreach (var value in values)
                {
                    Insert(blocks, Hash(value));
                }

                writer.Write((long)values.Count);
                writer.Write(blocks.Length / 8);
                foreach (var word in blocks)
                {
                    writer.Write(word);
                }
            }
        }

        var body = stream.ToArray();
        var bytes = new byte[body.Length + 4];
        body.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(body.Length), Crc32.HashToUInt32(body));
        return bytes;
    }

    /// <summary>Reads an index; null when it is not a whole, undamaged index (then the file is simply read).</summary>
    public static LookupKeys? TryRead(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Magic.Length + 16 || !bytes.StartsWith(Magic)
            || Crc32.HashToUInt32(bytes[..^4]) != BinaryPrimitives.ReadUInt32LittleEndian(bytes[^4..]))
        {
            return null;
        }

        var position = Magic.Length;
        var parquetLength = BinaryPrimitives.ReadInt64LittleEndian(bytes[position..]);
        var count = BinaryPrimitives.ReadInt32LittleEndian(bytes[(position + 8)..]);
        position += 12;
        Dictionary<string, uint[]> filters = new(StringComparer.Ordinal);
        for (var c = 0; c < count; c++)
        {
            var nameLength = bytes[position];
            var column = Encoding.UTF8.GetString(bytes.Slice(position + 1, nameLength));
            position += 1 + nameLength + 8;
            var blockCount = BinaryPrimitives.ReadInt32LittleEndian(bytes[position..]);
            position += 4;
            if (blockCount <= 0 || (long)blockCount * 32 > bytes.Length - 4 - position)
            {
                return null;
            }

            var blocks = new uint[blockCount * 8];
            for (var i = 0; i < blocks.Length; i++, position += 4)
            {
                blocks[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes[position..]);
            }

            filters[column] = blocks;
        }

        return position == bytes.Length - 4 ? new LookupKeys(parquetLength, filters) : null;
    }

    private static void Insert(uint[] blocks, ulong hash)
    {
        var block = Block(blocks, hash);
        var key = (uint)hash;
        for (var i = 0; i < 8; i++)
        {
            blocks[block + i] |= 1U << (int)((key * Salt[i]) >> 27);
        }
    }

    private static bool Test(uint[] blocks, ulong hash)
    {
        var block = Block(blocks, hash);
        var key = (uint)hash;
        for (var i = 0; i < 8; i++)
        {
            if ((blocks[block + i] & (1U << (int)((key * Salt[i]) >> 27))) == 0)
            {
                return false;
            }
        }

        return true;
    }

    private static int Block(uint[] blocks, ulong hash) => (int)(((hash >> 32) * (ulong)(blocks.Length / 8)) >> 32) * 8;
}
