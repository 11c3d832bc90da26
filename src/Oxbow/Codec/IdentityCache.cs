using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Oxbow.Codec;

/// <summary>
/// Facts derived from a string that is almost always a compile-time constant (a template, a hole's expression or
/// format), cached by the string's identity: a hit costs one <see cref="IdentitySlot"/> and one reference compare, with no string
/// hashing and no lock. Strings built at run time miss the identity table and fall back to a bounded by-value map, so
/// an unbounded set of distinct strings cannot grow memory. Values are immutable; a racing overwrite only costs a
/// recomputation. (<see cref="KeyCache"/> is the same idea with an index of its own for log records.)
/// </summary>
internal sealed class IdentityCache<TValue>(Func<string, TValue> create)
    where TValue : class
{
    private const int SizeBits = 10;
    private const int Size = 1 << SizeBits;
    private const int MaxByValue = 4096;

    private readonly Entry?[] _table = new Entry?[Size];
    private readonly ConcurrentDictionary<string, TValue> _byValue = new(StringComparer.Ordinal);

    private sealed class Entry(string source, TValue value)
    {
        public readonly string Source = source;
        public readonly TValue Value = value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TValue Get(string source)
    {
        var slot = IdentitySlot.Of(source, SizeBits);
        var entry = _table[slot];
        return entry is not null && ReferenceEquals(entry.Source, source) ? entry.Value : Add(source, slot);
    }

    private TValue Add(string source, int slot)
    {
        var value = _byValue.Count < MaxByValue ? _byValue.GetOrAdd(source, create) : create(source);
        _table[slot] = new Entry(source, value);
        return value;
    }
}
