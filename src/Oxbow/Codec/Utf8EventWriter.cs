using System.Buffers;
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
internal sealed class Utf8EventWriter
{
    private static readonly SearchValues<byte> NeedsEscape = SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(b => (byte)b), (byte)'"', (byte)'\\']);

    private static ReadOnlySpan<byte> Hex => "0123456789abcdef"u8;

    private byte[] _buffer;
    private int _position;

    public Utf8EventWriter(int initialCapacity = 1024) => _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);

    public int Length => _position;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _position);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _position);

    public int Capacity => _buffer.Length;

    public void Reset() => _position = 0;

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
        value.TryFormat(Reserve(20), out var written, default, CultureInfo.InvariantCulture);
        _position += written;
    }

    public void UInt64(ulong value)
    {
        value.TryFormat(Reserve(20), out var written, default, CultureInfo.InvariantCulture);
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

        value.TryFormat(Reserve(32), out var written, default, CultureInfo.InvariantCulture);
        _position += written;
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
        Timestamps.Write(span[1..], utcTicks);
        span[Timestamps.Length + 1] = (byte)'"';
        _position += Timestamps.Length + 2;
    }

    /// <summary>Writes a new id in quotes.</summary>
    public void NewId(long utcTicks)
    {
        var span = Reserve(OxId.Length + 2);
        span[0] = (byte)'"';
        OxId.Write(span[1..], utcTicks);
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

    /// <summary>Writes a quoted, escaped string, or <c>null</c>.</summary>
    public void String(string? value)
    {
        if (value is null)
        {
            Null();
            return;
        }

        String(value.AsSpan());
    }

    public void String(ReadOnlySpan<char> value)
    {
        // Transcode optimistically, then scan the UTF-8 for bytes that need escaping: almost always none.
        var span = Reserve((value.Length * 3) + 2);
        span[0] = (byte)'"';
        Utf8.FromUtf16(value, span[1..], out _, out var written, replaceInvalidSequences: true);
        var body = span.Slice(1, written);
        var escapeAt = body.IndexOfAny(NeedsEscape);
        if (escapeAt < 0)
        {
            span[written + 1] = (byte)'"';
            _position += written + 2;
            return;
        }

        var tail = body[escapeAt..].ToArray();
        _position += 1 + escapeAt;
        WriteEscaped(tail);
        Byte((byte)'"');
    }

    /// <summary>Writes already UTF-8 text as a quoted, escaped string.</summary>
    public void StringUtf8(ReadOnlySpan<byte> utf8)
    {
        var escapeAt = utf8.IndexOfAny(NeedsEscape);
        Byte((byte)'"');
        if (escapeAt < 0)
        {
            Raw(utf8);
        }
        else
        {
            Raw(utf8[..escapeAt]);
            WriteEscaped(utf8[escapeAt..]);
        }

        Byte((byte)'"');
    }

    private void WriteEscaped(ReadOnlySpan<byte> utf8)
    {
        var span = Reserve(utf8.Length * 6);
        var n = 0;
        foreach (var b in utf8)
        {
            switch (b)
            {
                case (byte)'"': span[n++] = (byte)'\\'; span[n++] = (byte)'"'; break;
                case (byte)'\\': span[n++] = (byte)'\\'; span[n++] = (byte)'\\'; break;
                case (byte)'\n': span[n++] = (byte)'\\'; span[n++] = (byte)'n'; break;
                case (byte)'\r': span[n++] = (byte)'\\'; span[n++] = (byte)'r'; break;
                case (byte)'\t': span[n++] = (byte)'\\'; span[n++] = (byte)'t'; break;
                case (byte)'\b': span[n++] = (byte)'\\'; span[n++] = (byte)'b'; break;
                case (byte)'\f': span[n++] = (byte)'\\'; span[n++] = (byte)'f'; break;
                case < 0x20:
                    span[n++] = (byte)'\\';
                    span[n++] = (byte)'u';
                    span[n++] = (byte)'0';
                    span[n++] = (byte)'0';
                    span[n++] = Hex[b >> 4];
                    span[n++] = Hex[b & 0xF];
                    break;
                default: span[n++] = b; break;
            }
        }

        _position += n;
    }

    /// <summary>
    /// Writes any value without boxing the common primitives: the type tests are on a generic parameter,
    /// so the JIT keeps only the branch for <typeparamref name="T"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Value<T>(T value, KeyCache keys)
    {
        if (typeof(T) == typeof(int)) { Int64((int)(object)value!); }
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
        else if (typeof(T) == typeof(string)) { String(Unsafe.As<string?>((object?)value)); }
        else { Object(value, keys, 0); }
    }

    private static DateTime ToUtc(DateTime value) =>
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
            if (!first)
            {
                Byte((byte)',');
            }

            first = false;
            var entry = keys.Get(key);
            Raw(entry.QuotedName);
            if (entry.Redact)
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
