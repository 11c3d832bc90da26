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

    /// <summary>
    /// Writes <c>,"key":value</c> for every field in one call (no per-field interface or generic-dictionary calls)
    /// and records the keys in <paramref name="written"/> for de-duplication against bound fields.
    /// Returns false, having written an unusable prefix, when a field needs the slow path (a dotted key).
    /// </summary>
    bool TryWrite(Utf8EventWriter writer, KeyCache keys, Span<string> written);
}

/// <summary>No call-site fields.</summary>
internal readonly struct NoFields : IFieldList
{
    public int Count => 0;

    public string KeyAt(int index) => throw new ArgumentOutOfRangeException(nameof(index));

    public object? ValueAt(int index) => throw new ArgumentOutOfRangeException(nameof(index));

    public bool TryWrite(Utf8EventWriter writer, KeyCache keys, Span<string> written) => true;
}

/// <summary>Any number of fields, for calls beyond the generated arities and for integrations.</summary>
internal readonly struct FieldSequence(IReadOnlyList<KeyValuePair<string, object?>> fields) : IFieldList
{
    public int Count => fields.Count;

    public string KeyAt(int index) => fields[index].Key;

    public object? ValueAt(int index) => fields[index].Value;

    /// <summary>Always the slow path: this overload allocates anyway, and may hold more keys than the fast path tracks.</summary>
    public bool TryWrite(Utf8EventWriter writer, KeyCache keys, Span<string> written) => false;
}

/// <summary>Stack room for the call-site keys of the largest generated arity.</summary>
[System.Runtime.CompilerServices.InlineArray(6)]
internal struct CallSiteKeys
{
    private string _first;
}
