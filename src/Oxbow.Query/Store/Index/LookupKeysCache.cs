using Oxbow.Store.Index;
namespace Oxbow.Query.Store.Index;

/// <summary>
/// The lookup indexes of the store's Parquet files, read from disk once and kept in memory up to a byte budget,
/// least recently used first out. Compacted files never change (a new compaction writes a new name), so an entry
/// stays valid for as long as its file is in the store.
/// </summary>
/// <remarks>
/// A file with no usable index is remembered as such for <see cref="RetryMissingAfter"/> only, since compaction
/// indexes older files in the background. With a budget smaller than the store's indexes, lookups read them from
/// disk again (the page cache usually holds them): slower, still correct.
/// </remarks>
internal sealed class LookupKeysCache(long capacityBytes)
{
    private static readonly TimeSpan RetryMissingAfter = TimeSpan.FromSeconds(30);
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _recent = new();
    private long _bytes;

    /// <summary>Bytes held now.</summary>
    public long Bytes
    {
        get
        {
            lock (_gate)
            {
                return _bytes;
            }
        }
    }

    /// <summary>
    /// The files of <paramref name="parquet"/> that may hold a row whose <paramref name="column"/> is one of
    /// <paramref name="values"/>: those whose index says maybe, and every file without one.
    /// </summary>
    public List<string> Candidates(IEnumerable<string> parquet, string column, IReadOnlyCollection<string> values)
    {
        var hashes = values.Select(LookupKeys.Hash).ToArray();
        List<string> candidates = [];
        List<string> unknown = [];
        // One lock for the whole pass (a lookup at 50M events tests 3,600 files): files whose index is in memory are
        // tested under it; the others are read from disk after it, outside the lock.
        var now = DateTime.UtcNow;
        lock (_gate)
        {
            foreach (var file in parquet)
            {
                if (!_entries.TryGetValue(file, out var node) || (node.Value.Keys is null && now - node.Value.Read >= RetryMissingAfter))
                {
                    unknown.Add(file);
                    continue;
                }

                _recent.Remove(node);
                _recent.AddFirst(node);
                if (node.Value.Keys is not { } keys || MayContainAny(keys, column, hashes))
                {
                    candidates.Add(file);
                }
            }
        }

        foreach (var file in unknown)
        {
            if (Get(file) is not { } keys || MayContainAny(keys, column, hashes))
            {
                candidates.Add(file);
            }
        }

        return candidates;
    }

    private static bool MayContainAny(LookupKeys keys, string column, ulong[] hashes)
    {
        foreach (var hash in hashes)
        {
            if (keys.MayContain(column, hash))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Drops the entries of files no longer in the store.</summary>
    public void Retain(IReadOnlySet<string> present)
    {
        lock (_gate)
        {
            foreach (var gone in _entries.Keys.Where(f => !present.Contains(f)).ToList())
            {
                Remove(_entries[gone]);
            }
        }
    }

    private LookupKeys? Get(string parquet)
    {
        var now = DateTime.UtcNow;
        lock (_gate)
        {
            if (_entries.TryGetValue(parquet, out var node) && (node.Value.Keys is not null || now - node.Value.Read < RetryMissingAfter))
            {
                _recent.Remove(node);
                _recent.AddFirst(node);
                return node.Value.Keys;
            }
        }

        var keys = Read(parquet);
        var entry = new Entry(parquet, keys, now, keys?.Bytes ?? 64);
        lock (_gate)
        {
            if (_entries.TryGetValue(parquet, out var old))
            {
                Remove(old);
            }

            _entries[parquet] = _recent.AddFirst(entry);
            _bytes += entry.Bytes;
            while (_bytes > capacityBytes && _recent.Last is { } last && last.Value != entry)
            {
                Remove(last);
            }
        }

        return keys;
    }

    private void Remove(LinkedListNode<Entry> node)
    {
        _recent.Remove(node);
        _entries.Remove(node.Value.Parquet);
        _bytes -= node.Value.Bytes;
    }

    /// <summary>The file's index, or null when it has none, or one that is damaged or describes other bytes.</summary>
    private static LookupKeys? Read(string parquet)
    {
        try
        {
            var keys = LookupKeys.TryRead(File.ReadAllBytes(parquet + LookupKeys.Suffix));
            return keys is not null && keys.ParquetLength == new FileInfo(parquet).Length ? keys : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private sealed record Entry(string Parquet, LookupKeys? Keys, DateTime Read, long Bytes);
}
