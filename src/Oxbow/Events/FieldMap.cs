using System.Collections;

namespace Oxbow;

/// <summary>
/// The nested fields of an event body. Keys keep the order they were first set in. Values are always one of:
/// <c>null</c>, <see cref="string"/>, <see cref="bool"/>, <see cref="long"/>, <see cref="ulong"/>,
/// <see cref="double"/>, <see cref="decimal"/>, <see cref="FieldMap"/> or <see cref="List{T}"/> of those;
/// <see cref="FieldValue.Normalize(object?)"/> turns anything else into one of them when it is set.
/// </summary>
/// <remarks>Not thread-safe: contexts lock around it.</remarks>
public sealed class FieldMap : IEnumerable<KeyValuePair<string, object?>>
{
    private readonly Dictionary<string, object?> _fields = new(StringComparer.Ordinal);

    /// <summary>Number of top-level keys.</summary>
    public int Count => _fields.Count;

    /// <summary>The value at a top-level key.</summary>
    public object? this[string key] => _fields[key];

    /// <summary>Top-level keys in insertion order.</summary>
    public IEnumerable<string> Keys => _fields.Keys;

    /// <summary>True when the top-level key exists.</summary>
    public bool ContainsKey(string key) => _fields.ContainsKey(key);

    /// <summary>Reads a top-level key.</summary>
    public bool TryGetValue(string key, out object? value) => _fields.TryGetValue(key, out value);

    /// <summary>Removes a top-level key.</summary>
    public bool Remove(string key) => _fields.Remove(key);

    /// <summary>Reads a value by dotted path, such as <c>response.status</c>.</summary>
    public bool TryGetPath(string dottedKey, out object? value)
    {
        object? node = this;
        foreach (var segment in dottedKey.Split('.'))
        {
            if (node is not FieldMap map || !map._fields.TryGetValue(segment, out node))
            {
                value = null;
                return false;
            }
        }

        value = node;
        return true;
    }

    /// <summary>
    /// Sets a value by dotted path, creating intermediate maps; a non-map in the way is replaced by a map.
    /// A map merges into an existing map; anything else replaces what was there.
    /// </summary>
    public void Set(string dottedKey, object? value)
    {
        var (parent, leaf) = Walk(dottedKey);
        parent.SetLeaf(leaf, FieldValue.Normalize(value));
    }

    /// <summary>Sets a value only when nothing is at that path yet; returns whether it set it.</summary>
    public bool SetIfAbsent(string dottedKey, object? value)
    {
        var (parent, leaf) = Walk(dottedKey);
        if (parent._fields.ContainsKey(leaf))
        {
            return false;
        }

        parent._fields[leaf] = FieldValue.Normalize(value);
        return true;
    }

    /// <summary>Appends to the array at a path: a missing key starts an array, a scalar becomes the first element.</summary>
    public void Append(string dottedKey, object? value)
    {
        var (parent, leaf) = Walk(dottedKey);
        var normalized = FieldValue.Normalize(value);
        if (parent._fields.TryGetValue(leaf, out var existing) && existing is List<object?> list)
        {
            list.Add(normalized);
        }
        else if (parent._fields.TryGetValue(leaf, out existing))
        {
            parent._fields[leaf] = new List<object?> { existing, normalized };
        }
        else
        {
            parent._fields[leaf] = new List<object?> { normalized };
        }
    }

    /// <summary>
    /// Adds to the counter at a path. A missing or non-numeric value counts from 0. Whole numbers stay integers;
    /// a fractional amount makes the counter a double.
    /// </summary>
    public void Add(string dottedKey, double amount)
    {
        var (parent, leaf) = Walk(dottedKey);
        parent._fields.TryGetValue(leaf, out var existing);
        var isWhole = amount == Math.Floor(amount) && Math.Abs(amount) < 9e15;
        parent._fields[leaf] = existing switch
        {
            long l when isWhole => l + (long)amount,
            long l => l + amount,
            double d => d + amount,
            ulong u => (double)u + amount,
            decimal m => m + (decimal)amount,
            _ when isWhole => (long)amount,
            _ => amount,
        };
    }

    private void SetLeaf(string leaf, object? value)
    {
        if (value is FieldMap incoming && _fields.TryGetValue(leaf, out var existing) && existing is FieldMap current)
        {
            current.MergeFrom(incoming);
            return;
        }

        _fields[leaf] = value;
    }

    /// <summary>Merges another map into this one, recursively for nested maps.</summary>
    public void MergeFrom(FieldMap other)
    {
        foreach (var (key, value) in other._fields)
        {
            SetLeaf(key, value);
        }
    }

    /// <summary>A deep copy.</summary>
    public FieldMap Clone()
    {
        var copy = new FieldMap();
        foreach (var (key, value) in _fields)
        {
            copy._fields[key] = FieldValue.DeepCopy(value);
        }

        return copy;
    }

    internal void SetRaw(string key, object? value) => _fields[key] = value;

    private (FieldMap Parent, string Leaf) Walk(string dottedKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(dottedKey);
        var map = this;
        var start = 0;
        while (true)
        {
            var dot = dottedKey.IndexOf('.', start);
            if (dot < 0)
            {
                return (map, start == 0 ? dottedKey : dottedKey[start..]);
            }

            var segment = dottedKey[start..dot];
            if (!map._fields.TryGetValue(segment, out var next) || next is not FieldMap child)
            {
                child = new FieldMap();
                map._fields[segment] = child;
            }

            map = child;
            start = dot + 1;
        }
    }

    /// <summary>Enumerates top-level fields in insertion order without allocating.</summary>
    public Dictionary<string, object?>.Enumerator GetEnumerator() => _fields.GetEnumerator();

    IEnumerator<KeyValuePair<string, object?>> IEnumerable<KeyValuePair<string, object?>>.GetEnumerator() => _fields.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _fields.GetEnumerator();
}
