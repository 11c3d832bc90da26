using System.Runtime.CompilerServices;

namespace Oxbow.Codec;

/// <summary>
/// Per-key facts the writer needs on every event: the key's escaped JSON form and whether it is redacted.
/// Keys are almost always string literals, so the cache is indexed by object identity: a hit costs one
/// multiply of the string's address (<see cref="IdentitySlot"/>) and one reference compare, with no string hashing
/// and no lock. Entries are immutable,
/// so a racing overwrite only costs a recomputation.
/// </summary>
internal sealed class KeyCache
{
    internal sealed class Entry(string key, byte[] separatedName, bool redact, int index)
    {
        public readonly string Key = key;

        /// <summary>Where <see cref="At"/> finds this entry again, or -1: a log record names its keys by index.</summary>
        public readonly int Index = index;

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

    private const int SizeBits = 12;
    private const int Size = 1 << SizeBits;
    private const int MaxByValue = 16_384;
    private const int MaxIndexed = 65_536;
    private readonly Entry?[] _table = new Entry?[Size];
    private readonly object _indexGate = new();
    private Entry[] _indexed = new Entry[256];
    private int _indexedCount;

    // Keys built at run time (split dotted paths, parsed input) miss the identity table; this keeps them cheap
    // without letting an unbounded set of distinct keys grow memory.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Entry> _byValue = new(StringComparer.Ordinal);

    public KeyCache(RedactionPolicy policy) => Policy = policy;

    public static KeyCache Default { get; } = new(RedactionPolicy.Default);

    public RedactionPolicy Policy { get; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Entry Get(string key)
    {
        var slot = IdentitySlot.Of(key, SizeBits);
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
                _table[slot] = new Entry(key, known.SeparatedName, known.Redact, known.Index);
            }

            return known;
        }

        var writer = new Utf8EventWriter(64);
        writer.Byte((byte)',');
        writer.String(key);
        writer.Byte((byte)':');
        var keep = _byValue.Count < MaxByValue;
        var entry = new Entry(key, writer.WrittenSpan.ToArray(), Policy.IsSecret(key), keep ? NextIndex() : -1);
        if (keep)
        {
            var winner = _byValue.GetOrAdd(key, entry);
            Register(winner);
            // The identity table needs this very string as the key, or every call would miss it and land here again.
            entry = ReferenceEquals(winner.Key, key) ? winner : new Entry(key, winner.SeparatedName, winner.Redact, winner.Index);
        }

        _table[slot] = entry;
        return entry;
    }

    /// <summary>The entry with <paramref name="index"/>: how the writer thread reads a key a log record names.</summary>
    public Entry At(int index) => Volatile.Read(ref _indexed)[index];

    private int NextIndex()
    {
        lock (_indexGate)
        {
            return _indexedCount < MaxIndexed ? _indexedCount++ : -1;
        }
    }

    private void Register(Entry entry)
    {
        if (entry.Index < 0)
        {
            return;
        }

        lock (_indexGate)
        {
            if (entry.Index >= _indexed.Length)
            {
                var bigger = new Entry[Math.Max(_indexed.Length * 2, entry.Index + 1)];
                _indexed.CopyTo(bigger, 0);
                Volatile.Write(ref _indexed, bigger);
            }

            // Published before any record can name it: the caller that created it enqueues the record afterwards.
            _indexed[entry.Index] = entry;
        }
    }
}
