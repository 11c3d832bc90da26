using System.Text;
using System.Text.Json;

namespace Oxbow.Receivers.Events;

/// <summary>
/// An event's fields as other protocols name them (flat, with dotted keys), nested the way Oxbow's own client nests
/// them: <c>http.status_code</c> becomes <c>{"http":{"status_code":…}}</c>. When a name is both a value and a
/// parent, no value is lost: <c>a</c> then <c>a.b</c> keeps <c>"a.b"</c> flat, and <c>a.b</c> then <c>a</c> puts the
/// value of <c>a</c> in the object as <c>_value</c>. A repeated key keeps its last value.
/// </summary>
/// <remarks>Names are UTF-8 and kept as slices of the key they came from: the wire path adds keys straight from the
/// request's bytes.</remarks>
/// <typeparam name="T">The source's value type (an OTLP AnyValue or its bytes, a JSON element).</typeparam>
internal sealed class FieldTree<T>
{
    private static readonly ReadOnlyMemory<byte> ValueName = "_value"u8.ToArray();
    private readonly List<Entry> _entries = [];

    public int Count => _entries.Count;

    /// <summary>Empties the tree for the next event (one tree serves a whole request).</summary>
    public void Clear() => _entries.Clear();

    public void Add(string key, T value) => Add(Encoding.UTF8.GetBytes(key), value);

    /// <summary>Adds a field by its UTF-8 name, which the tree keeps (slices of it) rather than copies.</summary>
    public void Add(ReadOnlyMemory<byte> key, T value)
    {
        var node = this;
        var start = 0;
        var span = key.Span;
        while (true)
        {
            var dot = span[start..].IndexOf((byte)'.');
            dot = dot < 0 ? -1 : start + dot;
            if (dot <= start || dot == span.Length - 1)
            {
                node.SetLeaf(key[start..], value);
                return;
            }

            var child = node.ChildOrNull(key[start..dot]);
            if (child is null)
            {
                node.SetLeaf(key[start..], value);
                return;
            }

            node = child;
            start = dot + 1;
        }
    }

    /// <summary>Writes the fields as properties of the object <paramref name="writer"/> is in.</summary>
    public void WriteProperties(Utf8JsonWriter writer, Action<Utf8JsonWriter, T> writeValue)
    {
        foreach (var entry in _entries)
        {
            writer.WritePropertyName(entry.Name.Span);
            if (entry.Child is { } child)
            {
                writer.WriteStartObject();
                child.WriteProperties(writer, writeValue);
                writer.WriteEndObject();
            }
            else
            {
                writeValue(writer, entry.Value!);
            }
        }
    }

    private void SetLeaf(ReadOnlyMemory<byte> name, T value)
    {
        var i = IndexOf(name);
        if (i < 0)
        {
            _entries.Add(new Entry(name, value, null));
        }
        else if (_entries[i].Child is null)
        {
            _entries[i] = new Entry(name, value, null);
        }
        else
        {
            // "a" after "a.b": the object stays, and the value goes inside it.
            _entries[i].Child!.SetLeaf(ValueName, value);
        }
    }

    /// <summary>The child object called <paramref name="name"/>, made if absent; null when the name holds a value.</summary>
    private FieldTree<T>? ChildOrNull(ReadOnlyMemory<byte> name)
    {
        var i = IndexOf(name);
        if (i < 0)
        {
            var child = new FieldTree<T>();
            _entries.Add(new Entry(name, default, child));
            return child;
        }

        return _entries[i].Child;
    }

    private int IndexOf(ReadOnlyMemory<byte> name)
    {
        var span = name.Span;
        for (var i = 0; i < _entries.Count; i++)
        {
            var entry = _entries[i].Name;
            if (entry.Length == span.Length && entry.Span.SequenceEqual(span))
            {
                return i;
            }
        }

        return -1;
    }

    private readonly record struct Entry(ReadOnlyMemory<byte> Name, T? Value, FieldTree<T>? Child);
}
