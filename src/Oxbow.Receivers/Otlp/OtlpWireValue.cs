using System.Text.Json;
using Oxbow.Receivers.Events;

namespace Oxbow.Receivers.Otlp;

/// <summary>
/// An OTLP <c>AnyValue</c> read from its wire bytes and written as JSON, as <see cref="OtlpValues.Write"/> writes the
/// decoded message: strings (UTF-8 kept as it came; invalid bytes become U+FFFD), booleans, integers, doubles, arrays,
/// key-value lists as objects (dotted keys nest) and bytes as base64.
/// </summary>
internal static class OtlpWireValue
{
    /// <summary>How deep values may nest inside one attribute (the generated parser's recursion limit is 100).</summary>
    private const int MaxDepth = 64;

    public static readonly Action<Utf8JsonWriter, ReadOnlyMemory<byte>> WriteValue = Write;

    /// <summary>Which of the value's oneof fields is set (the last one on the wire wins), and its bytes or number.</summary>
    /// <returns>The field number (1 string, 2 bool, 3 int, 4 double, 5 array, 6 kvlist, 7 bytes, 8 string index), or 0 for none.</returns>
    public static int Kind(ReadOnlySpan<byte> anyValue, out (int Start, int Length) bytes, out ulong number)
    {
        var reader = new ProtoReader(anyValue);
        var kind = 0;
        bytes = default;
        number = 0;
        while (!reader.End)
        {
            var field = reader.ReadTag(out var wire);
            switch (field)
            {
                case 1 or 5 or 6 or 7 when wire == WireType.LengthDelimited:
                    kind = field;
                    bytes = reader.Slice();
                    break;
                case 2 or 3 or 8 when wire == WireType.Varint:
                    kind = field;
                    number = reader.Varint();
                    break;
                case 4 when wire == WireType.Fixed64:
                    kind = field;
                    number = reader.Fixed64();
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        return kind;
    }

    /// <summary>The value's string, or null when it holds another kind.</summary>
    public static string? String(ReadOnlySpan<byte> anyValue) =>
        Kind(anyValue, out var bytes, out _) == 1 ? System.Text.Encoding.UTF8.GetString(anyValue.Slice(bytes.Start, bytes.Length)) : null;

    public static void Write(Utf8JsonWriter json, ReadOnlyMemory<byte> anyValue)
    {
        var kind = Kind(anyValue.Span, out var bytes, out var number);
        var payload = anyValue.Slice(bytes.Start, bytes.Length);
        switch (kind)
        {
            case 1:
                json.WriteStringValue(payload.Span);
                break;
            case 2:
                json.WriteBooleanValue(number != 0);
                break;
            case 3:
                json.WriteNumberValue((long)number);
                break;
            case 4:
                var d = BitConverter.UInt64BitsToDouble(number);
                if (double.IsFinite(d))
                {
                    json.WriteNumberValue(d);
                }
                else
                {
                    // As the event format writes them: JSON has no NaN or infinities.
                    json.WriteStringValue(double.IsNaN(d) ? "NaN"u8 : d > 0 ? "Infinity"u8 : "-Infinity"u8);
                }

                break;
            case 5:
                Nest(json);
                json.WriteStartArray();
                foreach (var item in new MessageFields(payload, 1))
                {
                    Write(json, item);
                }

                json.WriteEndArray();
                break;
            case 6:
                Nest(json);
                var fields = new FieldTree<ReadOnlyMemory<byte>>();
                AddPairs(fields, payload, field: 1);
                json.WriteStartObject();
                fields.WriteProperties(json, WriteValue);
                json.WriteEndObject();
                break;
            case 7:
                json.WriteBase64StringValue(payload.Span);
                break;
            default:
                json.WriteNullValue();
                break;
        }
    }

    /// <summary>Adds the <c>KeyValue</c> pairs in field <paramref name="field"/> of <paramref name="message"/> to a tree.</summary>
    public static void AddPairs(FieldTree<ReadOnlyMemory<byte>> fields, ReadOnlyMemory<byte> message, int field)
    {
        foreach (var pair in new MessageFields(message, field))
        {
            var (key, value) = Pair(pair);
            fields.Add(key, value);
        }
    }

    /// <summary>A <c>KeyValue</c>'s key (UTF-8) and value bytes; a missing value is an empty <c>AnyValue</c> (null).</summary>
    public static (ReadOnlyMemory<byte> Key, ReadOnlyMemory<byte> Value) Pair(ReadOnlyMemory<byte> keyValue)
    {
        var reader = new ProtoReader(keyValue.Span);
        (int Start, int Length) key = default, value = default;
        while (!reader.End)
        {
            var field = reader.ReadTag(out var wire);
            if (field == 1 && wire == WireType.LengthDelimited)
            {
                key = reader.Slice();
            }
            else if (field == 2 && wire == WireType.LengthDelimited)
            {
                value = reader.Slice();
            }
            else
            {
                reader.Skip(wire);
            }
        }

        return (keyValue.Slice(key.Start, key.Length), keyValue.Slice(value.Start, value.Length));
    }

    /// <summary>A trace or span id as lower-case hex into <paramref name="hex"/>; empty when absent, all zero or of the wrong length.</summary>
    public static ReadOnlySpan<char> Hex(ReadOnlySpan<byte> id, int length, Span<char> hex) =>
        id.Length != length || id.IndexOfAnyExcept((byte)0) < 0 || !Convert.TryToHexStringLower(id, hex, out var written) ? default : hex[..written];

    private static void Nest(Utf8JsonWriter json)
    {
        if (json.CurrentDepth > MaxDepth)
        {
            throw new FormatException($"an attribute value nests deeper than {MaxDepth} levels");
        }
    }
}
