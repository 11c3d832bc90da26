using Oxbow.Codec;

namespace Oxbow.Logging;

/// <summary>
/// Call-site fields passed by value in a generic struct, so a log call never boxes its arguments; each arity has
/// its own struct (generated, see tools/generate-logger-overloads.py).
/// </summary>
internal interface IFieldList
{
    int Count { get; }

    string KeyAt(int index);

    /// <summary>Boxes; only the slow path (processors, exceptions, dotted keys) uses it.</summary>
    object? ValueAt(int index);

    void WriteValue(int index, Utf8EventWriter writer, KeyCache keys);
}

/// <summary>No call-site fields.</summary>
internal readonly struct NoFields : IFieldList
{
    public int Count => 0;

    public string KeyAt(int index) => throw new ArgumentOutOfRangeException(nameof(index));

    public object? ValueAt(int index) => throw new ArgumentOutOfRangeException(nameof(index));

    public void WriteValue(int index, Utf8EventWriter writer, KeyCache keys) => throw new ArgumentOutOfRangeException(nameof(index));
}

/// <summary>Any number of fields, for calls beyond the generated arities and for integrations.</summary>
internal readonly struct FieldSequence(IReadOnlyList<KeyValuePair<string, object?>> fields) : IFieldList
{
    public int Count => fields.Count;

    public string KeyAt(int index) => fields[index].Key;

    public object? ValueAt(int index) => fields[index].Value;

    public void WriteValue(int index, Utf8EventWriter writer, KeyCache keys) => writer.Object(fields[index].Value, keys, 1);
}
