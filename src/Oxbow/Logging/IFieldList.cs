using Oxbow.Codec;
using Oxbow.Templates;

namespace Oxbow.Logging;

/// <summary>
/// Call-site fields passed by value in a generic struct, so a log call never boxes its arguments; each arity has
/// its own struct (generated, see tools/generate-logger-overloads.py).
/// </summary>
internal interface IFieldList
{
    /// <summary>How many fields the call site passed.</summary>
    int Count { get; }

    /// <summary>
    /// Writes every field into a log record (<see cref="LogRecord"/>): raw values for the writer thread to format.
    /// False, having written an unusable prefix, when a field needs the slow path (a dotted key).
    /// </summary>
    bool TryCapture(Utf8EventWriter record, KeyCache keys);

    /// <summary>
    /// Writes <c>,"key":value</c> for every field in one call (no per-field interface or generic-dictionary calls).
    /// Returns false, having written an unusable prefix, when a field needs the slow path (a dotted key).
    /// </summary>
    bool TryWrite(Utf8EventWriter writer, KeyCache keys);

    /// <summary>True when the call site set <paramref name="key"/>, which then wins over a bound field of that name.</summary>
    bool HasKey(string key);

    /// <summary>Sets every field in <paramref name="body"/>, boxing; only the slow path (processors, exceptions, dotted keys) uses it.</summary>
    void AddTo(FieldMap body);
}

/// <summary>No call-site fields.</summary>
internal readonly struct NoFields : IFieldList
{
    public int Count => 0;

    public bool TryCapture(Utf8EventWriter record, KeyCache keys) => true;

    public bool TryWrite(Utf8EventWriter writer, KeyCache keys) => true;

    public bool HasKey(string key) => false;

    public void AddTo(FieldMap body)
    {
    }
}

/// <summary>Any number of fields, for calls beyond the generated arities and for integrations.</summary>
internal readonly struct FieldSequence(IReadOnlyList<KeyValuePair<string, object?>> fields) : IFieldList
{
    public int Count => fields.Count;

    public bool TryCapture(Utf8EventWriter record, KeyCache keys) => false;

    /// <summary>Always the slow path: this overload allocates anyway.</summary>
    public bool TryWrite(Utf8EventWriter writer, KeyCache keys) => false;

    public bool HasKey(string key) => fields.Any(f => f.Key == key);

    public void AddTo(FieldMap body)
    {
        foreach (var field in fields)
        {
            body.Set(field.Key, field.Value);
        }
    }
}

/// <summary>A message's template, rendered text and holes, collected by a <see cref="MessageBuilder"/>.</summary>
internal readonly struct MessageFields(MessageBuilder builder) : IFieldList
{
    public int Count => builder.NameCount + 3;

    /// <summary>A message is already formatted text: it takes the JSON path.</summary>
    public bool TryCapture(Utf8EventWriter record, KeyCache keys) => false;

    public bool TryWrite(Utf8EventWriter writer, KeyCache keys)
    {
        if (builder.HasDottedName)
        {
            return false;
        }

        builder.WriteBody(writer);
        return true;
    }

    public bool HasKey(string key) => key is "event" or "template" or "message" || builder.HasName(key);

    public void AddTo(FieldMap body)
    {
        foreach (var field in builder.ToFieldList())
        {
            body.Set(field.Key, field.Value);
        }
    }
}
