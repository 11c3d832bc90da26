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

/// <summary>The properties with a meaning of their own in an event, by what they mean.</summary>
internal enum ClefName
{
    Time,
    Level,
    Template,
    Message,
    EventId,
    Exception,
    TraceId,
    SpanId,
    Properties,
    Application,
    MachineName,
    ProcessId,
}

/// <summary>What each <see cref="ClefName"/> is called in CLEF and in the older body.</summary>
internal sealed class ClefNames
{
    public static readonly ClefNames Clef = new(["@t", "@l", "@mt", "@m", "@i", "@x", "@tr", "@sp", "", "Application", "MachineName", "ProcessId"]);

    public static readonly ClefNames Older = new(["Timestamp", "Level", "MessageTemplate", "RenderedMessage", "EventType", "Exception", "TraceId", "SpanId", "Properties", "Application", "MachineName", "ProcessId"]);

    private readonly byte[][] _names;

    private ClefNames(string[] names) => _names = [.. names.Select(Encoding.UTF8.GetBytes)];

    /// <summary>The meaning of a property called <paramref name="name"/>, or -1.</summary>
    public int Find(ReadOnlySpan<byte> name)
    {
        for (var i = 0; i < _names.Length; i++)
        {
            if (_names[i].Length == name.Length && name.SequenceEqual(_names[i]) && name.Length > 0)
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>
/// One JSON object's properties, read in a single pass without building a document: each value is kept as the text
/// that came, and written out as it is (Seq's senders already write JSON), so a CLEF event costs one scan.
/// </summary>
internal sealed class ClefObject
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };
    private readonly List<ClefProperty> _properties = [];
    private readonly int[] _known = new int[Enum.GetValues<ClefName>().Length];

    public int Count => _properties.Count;

    public ClefProperty this[int index] => _properties[index];

    /// <summary>Reads <paramref name="json"/>, which must be one object and nothing else.</summary>
    /// <param name="json">The object's text.</param>
    /// <param name="names">The names with a meaning, noted as they are read so that finding them costs nothing.</param>
    /// <returns>False when it is valid JSON but not an object.</returns>
    /// <exception cref="JsonException">It is not valid JSON (the message says where).</exception>
    public bool Read(ReadOnlyMemory<byte> json, ClefNames names)
    {
        _properties.Clear();
        Array.Fill(_known, -1);
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
            if (names.Find(name.Span) is var meaning and >= 0)
            {
                // A repeated name keeps its last value, as for every other property.
                _known[meaning] = _properties.Count;
            }

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

    /// <summary>The property with that meaning, if the event has it.</summary>
    public bool TryGet(ClefName name, out ClefProperty property)
    {
        var index = _known[(int)name];
        property = index < 0 ? default : _properties[index];
        return index >= 0;
    }

    /// <summary>The string value of the property with that meaning, or null when absent or not a string.</summary>
    public string? String(ClefName name) => TryGet(name, out var property) ? property.String() : null;
}
