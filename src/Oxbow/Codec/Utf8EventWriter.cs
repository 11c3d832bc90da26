using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Unicode;

namespace Oxbow.Codec;

/// <summary>
/// A minimal forward-only UTF-8 JSON writer over a pooled, growable buffer. It does no validation of structure
/// (callers write commas and braces) because every event has a fixed shape and the per-property checks of
/// <see cref="System.Text.Json.Utf8JsonWriter"/> would dominate the cost of a log call.
/// Strings are escaped per RFC 8259: quote, backslash and control characters; invalid UTF-16 becomes U+FFFD.
/// </summary>
internal sealed partial class Utf8EventWriter
{
    private static ReadOnlySpan<byte> Hex => "0123456789abcdef"u8;

    private byte[] _buffer;
    private int _position;

    // Per-writer (so per-thread, for the pooled writers) generators: the hot path then needs no thread-static lookups.
    private Timestamps.Cache? _timestamps;
    private OxId.Sequence? _ids;

    public Utf8EventWriter(int initialCapacity = 1024) => _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);

    public int Length => _position;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _position);

    /// <summary>The written bytes, valid until the next write or reset.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _position);

    public void Reset() => _position = 0;

    /// <summary>Forgets everything after the first <paramref name="length"/> bytes (to undo a field that did not fit).</summary>
    public void Truncate(int length) => _position = Math.Min(_position, length);

    /// <summary>Gives a large buffer back to the pool so one huge event does not pin memory on a thread forever.</summary>
    public void TrimTo(int capacity)
    {
        if (_buffer.Length > capacity)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(capacity);
            _position = 0;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Reserve(int size)
    {
        if (_buffer.Length - _position < size)
        {
            Grow(size);
        }

        return _buffer.AsSpan(_position);
    }

    private void Grow(int size)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _position + size));
        _buffer.AsSpan(0, _position).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Byte(byte value)
    {
        Reserve(1)[0] = value;
        _position++;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Raw(ReadOnlySpan<byte> utf8)
    {
        utf8.CopyTo(Reserve(utf8.Length));
        _position += utf8.Length;
    }

    public void Null() => Raw("null"u8);

    public void Bool(bool value) => Raw(value ? "true"u8 : "false"u8);

    public void Int64(long value)
    {
        Utf8Formatter.TryFormat(value, Reserve(20), out var written);
        _position += written;
    }

    public void UInt64(ulong value)
    {
        Utf8Formatter.TryFormat(value, Reserve(20), out var written);
        _position += written;
    }

    public void Double(double value)
    {
        if (!double.IsFinite(value))
        {
            // JSON has no NaN or infinity; a string keeps the information without breaking parsers.
            String(value.ToString(CultureInfo.InvariantCulture));
            return;
        }

        if (TryWriteShortDecimal(value))
        {
            return;
        }

        value.TryFormat(Reserve(32), out var written, default, CultureInfo.InvariantCulture);
        _position += written;
    }

    /// <summary>
    /// Shortest round-trip formatting is the slowest part of a log call, and most doubles in events (durations,
    /// ratios, amounts) have at most six decimals. For those, scaling to an integer is exact to check: the
    /// correctly rounded division n / 10^6 equals the value only if the decimal n·10^-6 parses back to it, and below
    /// 10^9 no other six-decimal number does, so trimming trailing zeros gives the shortest form.
    /// </summary>
    private bool TryWriteShortDecimal(double value)
    {
        const double Scale = 1e6;
        if (!(Math.Abs(value) < 1e9))
        {
            return false;
        }

        var scaled = Math.Round(value * Scale);
        if (scaled / Scale != value)
        {
            return false;
        }

        var units = (long)scaled;
        var span = Reserve(24);
        var n = 0;
        if (units < 0)
        {
            span[n++] = (byte)'-';
            units = -units;
        }

        var whole = units / 1_000_000;
        var fraction = (int)(units - (whole * 1_000_000));
        Utf8Formatter.TryFormat(whole, span[n..], out var written);
        n += written;
        if (fraction != 0)
        {
            span[n++] = (byte)'.';
            var digits = 6;
            while (fraction % 10 == 0)
            {
                fraction /= 10;
                digits--;
            }

            for (var i = digits - 1; i >= 0; i--)
            {
                span[n + i] = (byte)('0' + (fraction % 10));
                fraction /= 10;
            }

            n += digits;
        }

        _position += n;
        return true;
    }

    public void Decimal(decimal value)
    {
        value.TryFormat(Reserve(32), out var written, default, CultureInfo.InvariantCulture);
        _position += written;
    }

    /// <summary>Writes a canonical timestamp in quotes.</summary>
    public void Timestamp(long utcTicks)
    {
        var span = Reserve(Timestamps.Length + 2);
        span[0] = (byte)'"';
        Timestamps.Write(span[1..], utcTicks, _timestamps ??= new Timestamps.Cache());
        span[Timestamps.Length + 1] = (byte)'"';
        _position += Timestamps.Length + 2;
    }

    /// <summary>Writes <c>"start":T,"end":T</c> for a point event, formatting the time once.</summary>
    public void PointInTime(long utcTicks)
    {
        const int Quoted = Timestamps.Length + 2;
        var span = Reserve(9 + Quoted + 7 + Quoted);
        ",\"start\":"u8.CopyTo(span);
        span[9] = (byte)'"';
        Timestamps.Write(span[10..], utcTicks, _timestamps ??= new Timestamps.Cache());
        span[10 + Timestamps.Length] = (byte)'"';
        ",\"end\":"u8.CopyTo(span[(9 + Quoted)..]);
        span.Slice(9, Quoted).CopyTo(span[(16 + Quoted)..]);
        _position += 16 + Quoted + Quoted;
    }

    /// <summary>Writes a new id in quotes.</summary>
    public void NewId(long utcTicks)
    {
        var span = Reserve(OxId.Length + 2);
        span[0] = (byte)'"';
        OxId.Write(span[1..], utcTicks, _ids ??= new OxId.Sequence());
        span[OxId.Length + 1] = (byte)'"';
        _position += OxId.Length + 2;
    }

    /// <summary>Writes bytes as a quoted lowercase hex string (trace and span ids).</summary>
    public void HexString(ReadOnlySpan<byte> bytes)
    {
        var span = Reserve((bytes.Length * 2) + 2);
        span[0] = (byte)'"';
        for (var i = 0; i < bytes.Length; i++)
        {
            span[1 + (2 * i)] = Hex[bytes[i] >> 4];
            span[2 + (2 * i)] = Hex[bytes[i] & 0xF];
        }

        span[(bytes.Length * 2) + 1] = (byte)'"';
        _position += (bytes.Length * 2) + 2;
    }


    /// <summary>
    /// Writes any value without boxing the common primitives. For value types the JIT compiles a copy of this method
    /// per type and folds the type tests away; reference types share one compiled copy, where type tests would be
    /// slow dictionary lookups, so they take the <c>!IsValueType</c> branch (a JIT constant in both cases) and switch
    /// on the object instead.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Value<T>(T value, KeyCache keys)
    {
        if (!typeof(T).IsValueType)
        {
            if (value is string text)
            {
                String(text);
            }
            else
            {
                Object(value, keys, 1);
            }
        }
        else if (typeof(T) == typeof(int)) { Int64((int)(object)value!); }
        else if (typeof(T) == typeof(long)) { Int64((long)(object)value!); }
        else if (typeof(T) == typeof(double)) { Double((double)(object)value!); }
        else if (typeof(T) == typeof(bool)) { Bool((bool)(object)value!); }
        else if (typeof(T) == typeof(float)) { Double((float)(object)value!); }
        else if (typeof(T) == typeof(decimal)) { Decimal((decimal)(object)value!); }
        else if (typeof(T) == typeof(uint)) { Int64((uint)(object)value!); }
        else if (typeof(T) == typeof(ulong)) { UInt64((ulong)(object)value!); }
        else if (typeof(T) == typeof(short)) { Int64((short)(object)value!); }
        else if (typeof(T) == typeof(byte)) { Int64((byte)(object)value!); }
        else if (typeof(T) == typeof(Guid)) { Guid((Guid)(object)value!); }
        else if (typeof(T) == typeof(DateTime)) { Timestamp(ToUtc((DateTime)(object)value!).Ticks); }
        else if (typeof(T) == typeof(DateTimeOffset)) { Timestamp(((DateTimeOffset)(object)value!).UtcTicks); }
        else if (typeof(T) == typeof(TimeSpan)) { Double(((TimeSpan)(object)value!).TotalSeconds); }
        else { Object(value, keys, 1); }
    }

    /// <summary>Writes <c>,"key":value</c>, redacting by policy; false (nothing useful written) for a dotted key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Field<T>(KeyCache keys, string key, T value)
    {
        var entry = keys.Get(key);
        if (entry.Dotted)
        {
            return false;
        }

        Raw(entry.SeparatedName);
        if (entry.Redact && !IsEmpty(value))
        {
            String(RedactionPolicy.Replacement);
        }
        else
        {
            Value(value, keys);
        }

        return true;
    }

    /// <summary>Null and the empty string say nothing secret, so redaction keeps them: a missing key stays visibly missing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsEmpty<T>(T value) => value is null || (!typeof(T).IsValueType && value is string { Length: 0 });

    internal static DateTime ToUtc(DateTime value) =>
        value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : DateTime.SpecifyKind(value, DateTimeKind.Utc);

    public void Guid(Guid value)
    {
        var span = Reserve(38);
        span[0] = (byte)'"';
        value.TryFormat(span[1..], out var written, "D");
        span[written + 1] = (byte)'"';
        _position += written + 2;
    }

    /// <summary>Writes a normalized or arbitrary value, redacting keys by <paramref name="keys"/>' policy.</summary>
    public void Object(object? value, KeyCache keys, int depth)
    {
        switch (value)
        {
            case null: Null(); break;
            case string s: String(s); break;
            case bool b: Bool(b); break;
            case long l: Int64(l); break;
            case int i: Int64(i); break;
            case double d: Double(d); break;
            case ulong u: UInt64(u); break;
            case decimal m: Decimal(m); break;
            case FieldMap map: Map(map, keys, depth); break;
            case List<object?> list: Array(list, keys, depth); break;
            default: Object(FieldValue.Normalize(value), keys, depth); break;
        }
    }

    public void Map(FieldMap map, KeyCache keys, int depth)
    {
        if (depth >= FieldValue.MaxDepth)
        {
            String("[too deep]");
            return;
        }

        Byte((byte)'{');
        var first = true;
        foreach (var (key, value) in map)
        {
            var entry = keys.Get(key);
            Raw(first ? entry.QuotedName : entry.SeparatedName);
            first = false;
            if (entry.Redact && !IsEmpty(value))
            {
                String(RedactionPolicy.Replacement);
            }
            else
            {
                Object(value, keys, depth + 1);
            }
        }

        Byte((byte)'}');
    }

    private void Array(List<object?> list, KeyCache keys, int depth)
    {
        Byte((byte)'[');
        for (var i = 0; i < list.Count; i++)
        {
            if (i > 0)
            {
                Byte((byte)',');
            }

            Object(list[i], keys, depth + 1);
        }

        Byte((byte)']');
    }
}
