using System.Runtime.CompilerServices;

namespace Oxbow.Codec;

/// <summary>
/// Per-key facts the writer needs on every event: the key's escaped JSON form and whether it is redacted.
/// Keys are almost always string literals, so the cache is indexed by object identity: a hit costs one
/// identity hash and one reference compare, with no string hashing and no lock. Entries are immutable,
/// so a racing overwrite only costs a recomputation.
/// </summary>
internal sealed class KeyCache
{
    internal sealed class Entry(string key, byte[] separatedName, bool redact)
    {
        public readonly string Key = key;

        /// <summary><c>,"key":</c> as escaped UTF-8: a member of an object after the first, in one copy.</summary>
        public readonly byte[] SeparatedName = separatedName;

        public readonly bool Redact = redact;

        /// <summary>True when the key has a dot and so must nest (the slow path does that).</summary>
        public readonly bool Dotted = key.Contains('.');

        /// <summary><c>"key":</c>.</summary>
        public ReadOnlySpan<byte> QuotedName => SeparatedName.AsSpan(1);

        /// <summary><c>"key"</c>, the key as a JSON string value (event names are cached this way too).</summary>
        public ReadOnlySpan<byte> QuotedString => SeparatedName.AsSpan(1, SeparatedName.Length - 2);
    }

    private const int Size = 4096;
    private const int MaxByValue = 16_384;
    private readonly Entry?[] _table = new Entry?[Size];

    // Keys built at run time (split dotted paths, parsed input) miss the identity table; this keeps them cheap
    // without letting an unbounded set of distinct keys grow memory.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Entry> _byValue = new(StringComparer.Ordinal);

    public KeyCache(RedactionPolicy policy) => Policy = policy;

    public static KeyCache Default { get; } = new(RedactionPolicy.Default);

    public RedactionPolicy Policy { get; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Entry Get(string key)
    {
        var slot = RuntimeHelpers.GetHashCode(key) & (Size - 1);
        var entry = _table[slot];
        if (entry is not null && ReferenceEquals(entry.Key, key))
        {
            return entry;
        }

        return Create(key, slot);
    }

    private Entry Create(string key, int slot)
    {
        if (_byValue.TryGetValue(key, out var known))
        {
            if (_table[slot] is null)
            {
                _table[slot] = new Entry(key, known.SeparatedName, known.Redact);
            }

            return known;
        }

        var writer = new Utf8EventWriter(64);
        writer.Byte((byte)',');
        writer.String(key);
        writer.Byte((byte)':');
        var entry = new Entry(key, writer.WrittenSpan.ToArray(), Policy.IsSecret(key));
        _table[slot] = entry;
        if (_byValue.Count < MaxByValue)
        {
            _byValue.TryAdd(key, entry);
        }

        return entry;
    }
}
