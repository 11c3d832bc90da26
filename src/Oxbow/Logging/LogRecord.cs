using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Oxbow.Codec;
using Oxbow.Pipeline;

namespace Oxbow.Logging;

/// <summary>
/// A log call's raw values, as the calling thread leaves them in the queue for the writer thread to format: the
/// time, the level, keys by their index in the pipeline's <see cref="KeyCache"/>, and each value in its own type
/// (a string's UTF-16 copied as it is, a number's eight bytes). Formatting JSON (number and date text, escaping,
/// ids) is most of a call's cost; this moves it off the application's thread, as ZLogger does.
/// </summary>
/// <remarks>
/// <para>
/// Layout, little-endian: the marker byte <see cref="Marker"/> (a JSON line starts with <c>{</c>, so the writer
/// tells the two apart by the first byte), the record's length (int32, all of it), the time (int64 UTC ticks), the
/// level (byte), flags (byte: 1 = a context's id and type follow, 2 = a trace fragment follows, 4 = the bound fields
/// are the logger's <see cref="FieldBindings.RecordSection"/>), the event name's key index (int32), the context's id
/// and type JSON and the trace's JSON fragment when flagged (each int32 length and bytes), the number of call-site
/// fields (byte), the fields, and the bound fields: with flag 4 the logger's section as it is (the writer leaves out
/// the keys the call set), else the bound and ambient fields the calling thread chose, as one JSON fragment (int32
/// length and bytes).
/// </para>
/// <para>
/// A field is a tag byte, then for <see cref="Fragment"/> its whole <c>,"key":value</c> as JSON (int32 length and
/// bytes; for objects, redacted values and keys without an index), else the key's index (int32) and the value:
/// eight bytes for numbers, booleans, times and null, sixteen for a Guid or decimal, a string's length and UTF-16.
/// </para>
/// <para>
/// The writer renders exactly the bytes the calling thread would have written (LogWriter's JSON path, which a capture
/// still uses): the same envelope code, the same value encoders.
/// </para>
/// </remarks>
internal static class LogRecord
{
    public const byte Marker = 0x1E;

    private const int HeadLength = 19;
    private const byte FlagContext = 1;
    private const byte FlagTrace = 2;
    private const byte FlagBoundSection = 4;

    private const byte Null = 0;
    private const byte String = 1;
    private const byte Int64 = 2;
    private const byte UInt64 = 3;
    private const byte Double = 4;
    private const byte Bool = 5;
    private const byte Decimal = 6;
    private const byte Guid = 7;
    private const byte Timestamp = 8;
    private const byte Fragment = 9;

    /// <summary>
    /// Writes the record for a call whose destination is a pipeline. False, with <paramref name="r"/> in an unusable
    /// state, when the call needs the JSON path instead (a dotted key, a name the key cache could not index).
    /// </summary>
    public static bool TryWrite<TFields>(
        Utf8EventWriter r, OxLogger logger, OxLevel level, string evt, in TFields fields, OxContext? context, FieldBindings? ambient, KeyCache keys, long ticks)
        where TFields : struct, IFieldList
    {
        var name = keys.Get(evt);
        if (name.Index < 0)
        {
            return false;
        }

        var activity = System.Diagnostics.Activity.Current;
        var hasTrace = (activity is not null && activity.TraceId != default) || context?.TraceId is not null || context?.SpanId is not null;
        ref var head = ref MemoryMarshal.GetReference(r.GetSpan(HeadLength));
        head = Marker;
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref head, 5), ticks); // the length (at 1) is patched at the end
        Unsafe.Add(ref head, 13) = (byte)level;
        Unsafe.Add(ref head, 14) = (byte)((context is null ? 0 : FlagContext) | (hasTrace ? FlagTrace : 0) | (ambient is null ? FlagBoundSection : 0));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref head, 15), name.Index);
        r.Advance(HeadLength);
        if (context is not null)
        {
            r.BytesWithLength(context.IdJson);
            r.BytesWithLength(context.LogTypeJson);
        }

        if (hasTrace)
        {
            var at = r.Length;
            r.Int32Bits(0);
            LogWriter.WriteTrace(r, context);
            r.PatchInt32(at, r.Length - at - 4);
        }

        r.Byte((byte)fields.Count);
        if (!fields.TryCapture(r, keys))
        {
            return false;
        }

        if (ambient is null)
        {
            // The usual case: the logger's fields as one precomputed piece; the writer drops the ones the call set.
            r.Raw(logger.Bound.RecordSection(keys));
        }
        else
        {
            var bound = r.Length;
            r.Int32Bits(0);
            LogWriter.WriteBoundAndAmbient(r, keys, logger, fields, ambient);
            r.PatchInt32(bound, r.Length - bound - 4);
        }

        r.PatchInt32(1, r.Length);
        return true;
    }

    /// <summary>One call-site field: false (nothing usable written) for a dotted key, which must nest.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Field<T>(Utf8EventWriter r, KeyCache keys, string key, T value)
    {
        var entry = keys.Get(key);
        if (entry.Dotted)
        {
            return false;
        }

        if (entry.Index < 0 || (entry.Redact && !Utf8EventWriter.IsEmpty(value)))
        {
            WriteFragment(r, keys, key, value);
            return true;
        }

        if (!typeof(T).IsValueType)
        {
            if (value is null)
            {
                Bits(r, Null, entry.Index, 0);
            }
            else if (value is string text)
            {
                Text(r, entry.Index, text);
            }
            else
            {
                WriteFragment(r, keys, key, value);
            }
        }
        else if (typeof(T) == typeof(int)) { Bits(r, Int64, entry.Index, (int)(object)value!); }
        else if (typeof(T) == typeof(long)) { Bits(r, Int64, entry.Index, (long)(object)value!); }
        else if (typeof(T) == typeof(double)) { Bits(r, Double, entry.Index, BitConverter.DoubleToInt64Bits((double)(object)value!)); }
        else if (typeof(T) == typeof(bool)) { Bits(r, Bool, entry.Index, (bool)(object)value! ? 1 : 0); }
        else if (typeof(T) == typeof(float)) { Bits(r, Double, entry.Index, BitConverter.DoubleToInt64Bits((float)(object)value!)); }
        else if (typeof(T) == typeof(uint)) { Bits(r, Int64, entry.Index, (uint)(object)value!); }
        else if (typeof(T) == typeof(ulong)) { Bits(r, UInt64, entry.Index, (long)(ulong)(object)value!); }
        else if (typeof(T) == typeof(short)) { Bits(r, Int64, entry.Index, (short)(object)value!); }
        else if (typeof(T) == typeof(byte)) { Bits(r, Int64, entry.Index, (byte)(object)value!); }
        else if (typeof(T) == typeof(DateTime)) { Bits(r, Timestamp, entry.Index, Utf8EventWriter.ToUtc((DateTime)(object)value!).Ticks); }
        else if (typeof(T) == typeof(DateTimeOffset)) { Bits(r, Timestamp, entry.Index, ((DateTimeOffset)(object)value!).UtcTicks); }
        else if (typeof(T) == typeof(TimeSpan)) { Bits(r, Double, entry.Index, BitConverter.DoubleToInt64Bits(((TimeSpan)(object)value!).TotalSeconds)); }
        else if (typeof(T) == typeof(Guid))
        {
            r.Byte(Guid);
            r.Int32Bits(entry.Index);
            Span<byte> bytes = stackalloc byte[16];
            ((Guid)(object)value!).TryWriteBytes(bytes);
            r.Raw(bytes);
        }
        else if (typeof(T) == typeof(decimal))
        {
            r.Byte(Decimal);
            r.Int32Bits(entry.Index);
            Span<int> bits = stackalloc int[4];
            decimal.GetBits((decimal)(object)value!, bits);
            r.Raw(MemoryMarshal.AsBytes(bits));
        }
        else
        {
            WriteFragment(r, keys, key, value);
        }

        return true;
    }

    // One reservation per field and unaligned stores without bounds checks: this runs on the application's thread.
    // Records never leave the process, so native (little-endian on every .NET target) byte order is fine.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Bits(Utf8EventWriter r, byte tag, int index, long bits)
    {
        ref var at = ref MemoryMarshal.GetReference(r.GetSpan(13));
        at = tag;
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref at, 1), index);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref at, 5), bits);
        r.Advance(13);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Text(Utf8EventWriter r, int index, string text)
    {
        var bytes = text.Length * 2;
        var span = r.GetSpan(9 + bytes);
        ref var at = ref MemoryMarshal.GetReference(span);
        at = String;
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref at, 1), index);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref at, 5), text.Length);
        MemoryMarshal.AsBytes(text.AsSpan()).CopyTo(span[9..]);
        r.Advance(9 + bytes);
    }

    private static void WriteFragment<T>(Utf8EventWriter r, KeyCache keys, string key, T value)
    {
        r.Byte(Fragment);
        var at = r.Length;
        r.Int32Bits(0);
        r.Field(keys, key, value);
        r.PatchInt32(at, r.Length - at - 4);
    }

    /// <summary>The length of the record that starts <paramref name="queued"/>.</summary>
    public static int LengthAt(ReadOnlySpan<byte> queued) => BinaryPrimitives.ReadInt32LittleEndian(queued[1..]);

    /// <summary>Writes the JSON line of <paramref name="record"/> (on the writer thread).</summary>
    public static void Render(ReadOnlySpan<byte> record, Utf8EventWriter w, KeyCache keys, IdentityJson identity)
    {
        var reader = new Reader(record[5..]);
        var ticks = reader.Int64();
        var level = (OxLevel)reader.Byte();
        var flags = reader.Byte();
        var name = keys.At(reader.Int32());
        var id = ReadOnlySpan<byte>.Empty;
        var type = LogWriter.LogType;
        if ((flags & FlagContext) != 0)
        {
            id = reader.Bytes();
            type = reader.Bytes();
        }

        LogWriter.WriteHead(w, ticks, level, id, type, identity);
        if ((flags & FlagTrace) != 0)
        {
            w.Raw(reader.Bytes());
        }

        w.Raw(",\"body\":{\"event\":"u8);
        w.Raw(name.QuotedString);
        var count = reader.Byte();
        // Where each call-site field starts in the output: a bound field whose `,"key":` begins one of them is left out.
        Span<int> starts = stackalloc int[count];
        for (var i = 0; i < count; i++)
        {
            starts[i] = w.Length;
            var tag = reader.Byte();
            if (tag == Fragment)
            {
                w.Raw(reader.Bytes());
                continue;
            }

            w.Raw(keys.At(reader.Int32()).SeparatedName);
            switch (tag)
            {
                case Null: reader.Int64(); w.Null(); break;
                case String: w.String(reader.Utf16()); break;
                case Int64: w.Int64(reader.Int64()); break;
                case UInt64: w.UInt64((ulong)reader.Int64()); break;
                case Double: w.Double(BitConverter.Int64BitsToDouble(reader.Int64())); break;
                case Bool: w.Bool(reader.Int64() != 0); break;
                case Timestamp: w.Timestamp(reader.Int64()); break;
                case Guid: w.Guid(new Guid(reader.Take(16))); break;
                case Decimal: w.Decimal(new decimal(MemoryMarshal.Cast<byte, int>(reader.Take(16)))); break;
                default: throw new InvalidDataException($"log record field tag {tag} is unknown");
            }
        }

        if ((flags & FlagBoundSection) != 0)
        {
            WriteBoundSection(w, reader.Bytes(), starts);
        }
        else
        {
            w.Raw(reader.Bytes());
        }

        w.Raw("}}\n"u8);
    }

    /// <summary>The bound fields of a <see cref="FieldBindings.RecordSection"/>, except those the call set itself (they start at <paramref name="starts"/>).</summary>
    private static void WriteBoundSection(Utf8EventWriter w, ReadOnlySpan<byte> section, ReadOnlySpan<int> starts)
    {
        var reader = new Reader(section);
        while (!reader.IsEmpty)
        {
            var nameLength = reader.Int32();
            var fragment = reader.Bytes();
            var key = fragment[..nameLength];
            if (!SetByCall(w.WrittenSpan, starts, key))
            {
                w.Raw(fragment);
            }
        }
    }

    private static bool SetByCall(ReadOnlySpan<byte> written, ReadOnlySpan<int> starts, ReadOnlySpan<byte> key)
    {
        foreach (var start in starts)
        {
            if (written[start..].StartsWith(key))
            {
                return true;
            }
        }

        return false;
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _rest = data;

        public readonly bool IsEmpty => _rest.IsEmpty;

        public ReadOnlySpan<byte> Take(int count)
        {
            var taken = _rest[..count];
            _rest = _rest[count..];
            return taken;
        }

        public byte Byte() => Take(1)[0];

        public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

        public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

        public ReadOnlySpan<byte> Bytes() => Take(Int32());

        public ReadOnlySpan<char> Utf16() => MemoryMarshal.Cast<byte, char>(Take(Int32() * 2));
    }
}
