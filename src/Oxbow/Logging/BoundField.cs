using Oxbow.Codec;
namespace Oxbow;

/// <summary>A key and a normalized value bound to a logger or an ambient scope.</summary>
public readonly record struct BoundField(string Key, object? Value);

/// <summary>An immutable list of bound fields; later binds of the same key replace earlier ones.</summary>
internal sealed class FieldBindings
{
    public static readonly FieldBindings Empty = new([]);

    public FieldBindings(BoundField[] fields)
    {
        Fields = fields;
        HasDottedKeys = fields.Any(f => f.Key.Contains('.'));
    }

    public BoundField[] Fields { get; }

    public bool HasDottedKeys { get; }

    public bool Contains(string key)
    {
        foreach (var field in Fields)
        {
            if (ReferenceEquals(field.Key, key) || field.Key == key)
            {
                return true;
            }
        }

        return false;
    }

    // Bound values are normalized copies, so their JSON never changes: each field is encoded once per key cache
    // (redaction depends on it) instead of on every call.
    private sealed class Encoded(KeyCache keys, byte[][] fragments, byte[] recordSection)
    {
        public readonly KeyCache Keys = keys;
        public readonly byte[][] Fragments = fragments;
        public readonly byte[] RecordSection = recordSection;
    }

    private Encoded? _encoded;

    /// <summary><c>,"key":value</c> of field <paramref name="index"/> as <paramref name="keys"/> encodes it.</summary>
    public ReadOnlySpan<byte> Fragment(int index, KeyCache keys)
    {
        return EncodedFor(keys).Fragments[index];
    }

    /// <summary>
    /// Every field for a log record (Logging/LogRecord), as <paramref name="keys"/> encodes them, in one piece the
    /// calling thread copies whole: the section's length (int32), then per field the length of its <c>,"key":</c>
    /// (int32), the fragment's length (int32) and the fragment. The writer thread leaves out the fields the call set
    /// itself, so the calling thread does not compare keys.
    /// </summary>
    public ReadOnlySpan<byte> RecordSection(KeyCache keys)
    {
        return EncodedFor(keys).RecordSection;
    }

    private Encoded EncodedFor(KeyCache keys)
    {
        var encoded = _encoded;
        return encoded is not null && ReferenceEquals(encoded.Keys, keys) ? encoded : EncodeAll(keys);
    }

    // Apart from Fragment: a lambda capturing its parameter would allocate its closure on every call to it.
    private Encoded EncodeAll(KeyCache keys)
    {
        var fragments = Fields.Select(field => Encode(field, keys)).ToArray();
        var section = new Utf8EventWriter(64);
        section.Int32Bits(0);
        for (var i = 0; i < fragments.Length; i++)
        {
            section.Int32Bits(keys.Get(Fields[i].Key).SeparatedName.Length);
            section.Int32Bits(fragments[i].Length);
            section.Raw(fragments[i]);
        }

        section.PatchInt32(0, section.Length - 4);
        var encoded = new Encoded(keys, fragments, section.WrittenSpan.ToArray());
        _encoded = encoded;
        return encoded;
    }

    private static byte[] Encode(BoundField field, KeyCache keys)
    {
        var w = new Utf8EventWriter(64);
        var entry = keys.Get(field.Key);
        w.Raw(entry.SeparatedName);
        if (entry.Redact && !Utf8EventWriter.IsEmpty(field.Value))
        {
            w.String(RedactionPolicy.Replacement);
        }
        else
        {
            w.Object(field.Value, keys, 1);
        }

        return w.WrittenSpan.ToArray();
    }

    public FieldBindings With(ReadOnlySpan<BoundField> added)
    {
        var list = new List<BoundField>(Fields);
        foreach (var field in added)
        {
            ArgumentException.ThrowIfNullOrEmpty(field.Key, "key");
            var normalized = field with { Value = FieldValue.Normalize(field.Value) };
            var index = list.FindIndex(f => f.Key == field.Key);
            if (index >= 0)
            {
                list[index] = normalized;
            }
            else
            {
                list.Add(normalized);
            }
        }

        return new FieldBindings([.. list]);
    }

    public FieldBindings Without(string key) => new(Fields.Where(f => f.Key != key).ToArray());
}

/// <summary>Fields bound to the current logical flow for a scope (<see cref="Ox.BindScope(string, object?)"/>).</summary>
internal static class AmbientFields
{
    private static readonly AsyncLocal<FieldBindings?> s_current = new();

    // Set by the first push: until then no flow has ambient fields, and a log call skips the AsyncLocal read.
    private static volatile bool s_everPushed;

    public static FieldBindings? Current => s_everPushed ? s_current.Value : null;

    public static IDisposable Push(ReadOnlySpan<BoundField> fields)
    {
        var previous = s_current.Value;
        s_everPushed = true;
        s_current.Value = (previous ?? FieldBindings.Empty).With(fields);
        return new Scope(previous);
    }

    /// <summary>Empties the flow's bindings until the returned scope is disposed.</summary>
    public static IDisposable Clear()
    {
        var previous = s_current.Value;
        s_current.Value = null;
        return new Scope(previous);
    }

    private sealed class Scope(FieldBindings? previous) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                s_current.Value = previous;
            }
        }
    }
}
