using System.Text.Json;

namespace Oxbow.Receivers.Events;

/// <summary>
/// An event's fields as other protocols name them (flat, with dotted keys), nested the way Oxbow's own client nests
/// them: <c>http.status_code</c> becomes <c>{"http":{"status_code":…}}</c>. When a name is both a value and a
/// parent, no value is lost: <c>a</c> then <c>a.b</c> keeps <c>"a.b"</c> flat, and <c>a.b</c> then <c>a</c> puts the
/// value of <c>a</c> in the object as <c>_value</c>. A repeated key keeps its last value.
/// </summary>
/// <typeparam name="T">The source's value type (an OTLP AnyValue, a JSON element).</typeparam>
internal sealed class FieldTree<T>
{
    private readonly List<Entry> _entries = [];

    public int Count => _entries.Count;

    /// <summary>Empties the tree for the next event (one tree serves a whole request).</summary>
    public void Clear() => _entries.Clear();

    public void Add(string key, T value)
    {
        var node = this;
        var start = 0;
        while (true)
        {
            var dot = key.IndexOf('.', start);
            if (dot <= start || dot == key.Length - 1)
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
            writer.WritePropertyName(entry.Name);
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

    private void SetLeaf(string name, T value)
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
            _entries[i].Child!.SetLeaf("_value", value);
        }
    }

    /// <summary>The child object called <paramref name="name"/>, made if absent; null when the name holds a value.</summary>
    private FieldTree<T>? ChildOrNull(string name)
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

    private int IndexOf(string name)
    {
        for (var i = 0; i < _entries.Count; i++)
        {
            if (_entries[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }

    private readonly record struct Entry(string Name, T? Value, FieldTree<T>? Child);
}
