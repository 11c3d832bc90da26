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

    [ThreadStatic] private static ulong t_sequence;
    [ThreadStatic] private static bool t_seeded;

    private static ReadOnlySpan<byte> HexDigits => "0123456789abcdef"u8;

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

    /// <summary>Writes a new id as 32 ASCII hex digits into <paramref name="destination"/>.</summary>
    internal static void Write(Span<byte> destination, long utcTicks)
    {
        if (!t_seeded)
        {
            t_sequence = BinaryPrimitives.ReadUInt64LittleEndian(RandomNumberGenerator.GetBytes(8));
            t_seeded = true;
        }

        var micros = (ulong)((utcTicks - DateTime.UnixEpoch.Ticks) / 10);
        var sequence = t_sequence++;
        WriteHex(destination, micros);
        WriteHex(destination[16..], sequence);
    }

    private static void WriteHex(Span<byte> destination, ulong value)
    {
        var digits = HexDigits;
        for (var i = 15; i >= 0; i--)
        {
            destination[i] = digits[(int)(value & 0xF)];
            value >>= 4;
        }
    }
}
