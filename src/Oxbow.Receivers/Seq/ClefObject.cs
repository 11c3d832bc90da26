using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace Oxbow.Receivers.Seq;

/// <summary>A property of a CLEF event: its name (UTF-8, unescaped) and its value as the JSON text that came.</summary>
/// <param name="Name">The name.</param>
/// <param name="Raw">The value's JSON text (a string with its quotes), a slice of the request.</param>
/// <param name="Kind">What the value is.</param>
internal readonly record struct ClefProperty(ReadOnlyMemory<byte> Name, ReadOnlyMemory<byte> Raw, JsonTokenType Kind)
{
    /// <summary>The value when it is a string; null for any other kind.</summary>
    public string? String()
    {
        if (Kind != JsonTokenType.String)
        {
            return null;
        }

        var content = Raw.Span[1..^1];
        if (content.IndexOf((byte)'\\') < 0)
        {
            return Encoding.UTF8.GetString(content);
        }

        var reader = new Utf8JsonReader(Raw.Span);
        reader.Read();
        return reader.GetString();
    }

    /// <summary>The value's string content as UTF-8 when it holds no escape (the common case), else empty.</summary>
    public ReadOnlySpan<byte> PlainString => Kind == JsonTokenType.String && Raw.Span.IndexOf((byte)'\\') < 0 ? Raw.Span[1..^1] : default;

    /// <summary>The value when it is an integer that fits a long.</summary>
    public long? Int64 => Kind == JsonTokenType.Number && Utf8Parser.TryParse(Raw.Span, out long value, out var used) && used == Raw.Length ? value : null;
}

/// <summary>
/// One JSON object's properties, read in a single pass without building a document: each value is kept as the text
/// that came, and written out as it is (Seq's senders already write JSON), so a CLEF event costs one scan.
/// </summary>
internal sealed class ClefObject
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };
    private readonly List<ClefProperty> _properties = [];

    public int Count => _properties.Count;

    public ClefProperty this[int index] => _properties[index];

    /// <summary>Reads <paramref name="json"/>, which must be one object and nothing else.</summary>
    /// <returns>False when it is valid JSON but not an object.</returns>
    /// <exception cref="JsonException">It is not valid JSON (the message says where).</exception>
    public bool Read(ReadOnlyMemory<byte> json)
    {
        _properties.Clear();
        var reader = new Utf8JsonReader(json.Span, Options);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            while (reader.Read())
            {
            }

            return false;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            ReadOnlyMemory<byte> name;
            if (reader.ValueIsEscaped)
            {
                var unescaped = new byte[reader.ValueSpan.Length];
                name = unescaped.AsMemory(0, reader.CopyString(unescaped));
            }
            else
            {
                name = json.Slice((int)reader.TokenStartIndex + 1, reader.ValueSpan.Length);
            }

            reader.Read();
            var start = (int)reader.TokenStartIndex;
            var kind = reader.TokenType;
            reader.Skip();
            _properties.Add(new ClefProperty(name, json[start..(int)reader.BytesConsumed], kind));
        }

        // Anything after the object is an error the reader raises here.
        while (reader.Read())
        {
        }

        return true;
    }

    /// <summary>The last property called <paramref name="name"/> (a repeated name keeps its last value), if any.</summary>
    public bool TryGet(ReadOnlySpan<byte> name, out ClefProperty property)
    {
        for (var i = _properties.Count - 1; i >= 0; i--)
        {
            if (_properties[i].Name.Span.SequenceEqual(name))
            {
                property = _properties[i];
                return true;
            }
        }

        property = default;
        return false;
    }

    /// <summary>The named property's string value, or null when absent or not a string.</summary>
    public string? String(ReadOnlySpan<byte> name) => TryGet(name, out var property) ? property.String() : null;
}
