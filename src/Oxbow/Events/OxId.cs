using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Oxbow;

/// <summary>
/// Event ids: 128 bits written as 32 lowercase hex digits. The first 64 bits are microseconds since the Unix epoch
/// (big-endian, so ids sort by creation time as text); the last 64 bits are a per-thread random start that counts up,
/// so two ids made in the same microsecond still differ without any shared lock.
/// </summary>
public static class OxId
{
    /// <summary>Length of an id in characters.</summary>
    public const int Length = 32;

    [ThreadStatic] private static Sequence? t_sequence;

    /// <summary>A new id for the current time.</summary>
    public static string NewId() => NewId(DateTime.UtcNow);

    /// <summary>A new id whose time part is <paramref name="utcNow"/>.</summary>
    public static string NewId(DateTime utcNow)
    {
        Span<byte> utf8 = stackalloc byte[Length];
        Write(utf8, utcNow.Ticks);
        return System.Text.Encoding.ASCII.GetString(utf8);
    }

    /// <summary>True when <paramref name="id"/> is 32 lowercase hex digits.</summary>
    public static bool IsValid(string? id)
    {
        if (id is null || id.Length != Length)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The creation time encoded in an id made by this class.</summary>
    public static DateTime GetTimestamp(string id)
    {
        if (!IsValid(id))
        {
            throw new ArgumentException($"'{id}' is not an Oxbow id (32 lowercase hex digits).", nameof(id));
        }

        var micros = Convert.ToInt64(id[..16], 16);
        return DateTime.UnixEpoch.AddTicks(micros * 10);
    }

    /// <summary>The low 64 bits of a generator: a random start that counts up. Not thread-safe; one per thread.</summary>
    internal sealed class Sequence
    {
        public ulong Next = BinaryPrimitives.ReadUInt64LittleEndian(RandomNumberGenerator.GetBytes(8));
    }

    /// <summary>Writes a new id as 32 ASCII hex digits into <paramref name="destination"/>.</summary>
    internal static void Write(Span<byte> destination, long utcTicks) => Write(destination, utcTicks, t_sequence ??= new Sequence());

    /// <summary>Writes a new id using a caller-owned <paramref name="sequence"/>.</summary>
    internal static void Write(Span<byte> destination, long utcTicks, Sequence sequence)
    {
        // Two big-endian halves as lower-case hex: the same text as hex of the 16 bytes, on every target framework.
        WriteHex16(destination[..16], (ulong)((utcTicks - DateTime.UnixEpoch.Ticks) / 10));
        WriteHex16(destination[16..32], sequence.Next++);
    }

    // A plain loop: formatting with "x16" parses the format string on every call, a tenth of a log call's cost.
    private static void WriteHex16(Span<byte> destination, ulong value)
    {
        var digits = "0123456789abcdef"u8;
        for (var i = 15; i >= 0; i--)
        {
            destination[i] = digits[(int)(value & 0xF)];
            value >>= 4;
        }
    }
}
