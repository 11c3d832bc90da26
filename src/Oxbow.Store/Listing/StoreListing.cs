namespace Oxbow.Store.Listing;

/// <summary>
/// The files of a store (one or more roots in the layout) as a long-lived query engine sees them, kept current at a
/// cost that follows what changed: per look, a stat of each root's change feed, one of the reference tables'
/// directory, and one per file still being appended to. A root without a feed falls back to a stat per directory.
/// Refreshes run one at a time (the caller's lock).
/// </summary>
internal sealed class StoreListing(IReadOnlyList<string> roots, string tablesDirectory)
{
    private readonly RootListing[] _roots = [.. roots.Select(r => new RootListing(r))];
    private DirectorySnapshot? _tables;
    private List<(string Path, long Length)> _growing = [];
    private int _forgotten;

    /// <summary>Every partition with files, root by root, each root in directory order.</summary>
    public IEnumerable<PartitionFiles> Files => _roots.SelectMany(r => r.Files);

    /// <summary>
    /// Brings the listing up to date; false when nothing can have changed since the last call (no file added,
    /// replaced or removed, no open file grown, the reference tables untouched).
    /// </summary>
    /// <exception cref="IOException">A directory vanished while being listed (retention, say): call again.</exception>
    public bool Refresh()
    {
        if (Interlocked.Exchange(ref _forgotten, 0) == 1)
        {
            foreach (var root in _roots)
            {
                root.Forget();
            }

            _tables = null;
        }

        var changed = false;
        foreach (var root in _roots)
        {
            changed |= root.Refresh();
        }

        if (_tables is null || !_tables.Unchanged())
        {
            _tables = DirectorySnapshot.Take([tablesDirectory]);
            changed = true;
        }

        if (changed)
        {
            _growing = [.. Files.SelectMany(f => f.Active).Select(f => (f, Length(f)))];
            return true;
        }

        // An open file that grew may have brought new fields.
        foreach (var (path, length) in _growing)
        {
            if (Length(path) != length)
            {
                _growing = [.. Files.SelectMany(f => f.Active).Select(f => (f, Length(f)))];
                return true;
            }
        }

        return false;
    }

    /// <summary>Makes the next refresh list every root whole (a file vanished under a query, say). Safe from any thread.</summary>
    public void Forget() => Volatile.Write(ref _forgotten, 1);

    private static long Length(string file)
    {
        var info = new FileInfo(file);
        return info.Exists ? info.Length : -1;
    }

    /// <summary>One root: its partitions by relative directory, and how it learns of changes.</summary>
    private sealed class RootListing(string root)
    {
        private readonly ChangeFeed _feed = new(root);
        private readonly List<string> _changed = [];
        private readonly SortedDictionary<string, PartitionFiles> _partitions = new(StringComparer.Ordinal);
        private DirectorySnapshot? _snapshot;
        private bool _listed;

        public IEnumerable<PartitionFiles> Files => _partitions.Values;

        public bool Refresh()
        {
            switch (_feed.Look(_changed))
            {
                case ChangeKind.None:
                    return !_listed && ListAll();
                case ChangeKind.NoFeed:
                    if (_listed && _snapshot is not null && _snapshot.Unchanged())
                    {
                        return false;
                    }

                    // The snapshot first: a change made during the listing moves a time it holds.
                    _snapshot = DirectorySnapshot.Take([root]);
                    return ListAll();
                case ChangeKind.Everything:
                    _snapshot = null;
                    return ListAll();
                default:
                    _snapshot = null;
                    if (!_listed)
                    {
                        return ListAll();
                    }

                    try
                    {
                        foreach (var directory in _changed)
                        {
                            Relist(directory);
                        }
                    }
                    catch
                    {
                        // The records are read: a relisting cut short must not leave partitions out for good.
                        _listed = false;
                        throw;
                    }

                    return true;
            }
        }

        public void Forget()
        {
            _feed.Forget();
            _snapshot = null;
            _listed = false;
        }

        private bool ListAll()
        {
            _listed = false;
            _partitions.Clear();
            foreach (var partition in StoreLayout.Partitions(root))
            {
                Add(partition);
            }

            _listed = true;
            return true;
        }

        /// <summary>Lists again the partitions under one changed directory (a type, a day or an hour).</summary>
        private void Relist(string directory)
        {
            var prefix = directory + "/";
            foreach (var key in _partitions.Keys.Where(k => k == directory || k.StartsWith(prefix, StringComparison.Ordinal)).ToList())
            {
                _partitions.Remove(key);
            }

            foreach (var partition in StoreLayout.PartitionsUnder(root, directory))
            {
                Add(partition);
            }
        }

        private void Add(Partition partition)
        {
            var files = StoreLayout.Files(partition);
            if (files.Count > 0)
            {
                _partitions[StoreLayout.RelativeDirectory(partition.Type, partition.Day, partition.Hour)] = files;
            }
        }
    }
}
