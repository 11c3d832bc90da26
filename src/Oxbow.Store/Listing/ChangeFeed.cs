using System.Text;

namespace Oxbow.Store.Listing;

/// <summary>What a look at the change feed found.</summary>
internal enum ChangeKind
{
    /// <summary>No record since the last look.</summary>
    None,

    /// <summary>Records naming directories (in <see cref="ChangeFeed.Look"/>'s list).</summary>
    Directories,

    /// <summary>The store must be listed whole: a record of everything, or too long since the last look.</summary>
    Everything,

    /// <summary>The store has no feed (no Oxbow writer has changed it since feeds existed): the caller checks every directory instead.</summary>
    NoFeed,
}

/// <summary>
/// Reads one store's <see cref="StoreChanges"/> records for one long-lived reader. Looking costs one stat when nothing
/// was recorded: the records' directory changes its time when a record is added.
/// </summary>
internal sealed class ChangeFeed(string dataDirectory)
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(100);
    private readonly string _directory = StoreChanges.Directory(dataDirectory);
    private HashSet<string> _seen = new(StringComparer.Ordinal);
    private DateTime _directoryTime = DateTime.MinValue;
    private bool _directoryTrusted;
    private long _lastFullListing = long.MinValue;
    private long _failures = -1;

    /// <summary>
    /// What changed since the last look, with the directories (relative to the store) in <paramref name="directories"/>.
    /// After <see cref="ChangeKind.Everything"/> the caller lists the whole store, and must do so after this call,
    /// so that any change made during its listing is either seen by it or recorded for the next look.
    /// </summary>
    public ChangeKind Look(List<string> directories)
    {
        directories.Clear();
        var now = Environment.TickCount64;
        var failures = StoreChanges.Failures;
        var everything = _lastFullListing == long.MinValue || now - _lastFullListing > (long)StoreChanges.ListEverythingAfter.TotalMilliseconds
            || failures != _failures;
        _failures = failures;

        // One stat. Directory times are coarse, so a time within 100 ms of the look is not trusted: such a directory
        // is read again next time even if its time has not moved.
        var wall = DateTime.UtcNow;
        var time = System.IO.Directory.GetLastWriteTimeUtc(_directory);
        if (time.Year < 1700)
        {
            // No feed here. When one appears, its first look lists everything.
            _seen.Clear();
            _directoryTrusted = false;
            _lastFullListing = long.MinValue;
            return ChangeKind.NoFeed;
        }

        if (!everything && _directoryTrusted && time == _directoryTime)
        {
            return ChangeKind.None;
        }

        _directoryTime = time;
        _directoryTrusted = wall - time >= Settle;
        HashSet<string> present = new(StringComparer.Ordinal);
        try
        {
            foreach (var path in System.IO.Directory.EnumerateFiles(_directory))
            {
                var name = Path.GetFileName(path);
                if (!StoreChanges.IsRecord(name))
                {
                    continue;
                }

                present.Add(name);
                if (!everything && !_seen.Contains(name))
                {
                    Read(path, directories);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            everything = true;
        }

        _seen = present;
        if (everything || directories.Contains(StoreChanges.Everything))
        {
            directories.Clear();
            _lastFullListing = now;
            return ChangeKind.Everything;
        }

        return directories.Count == 0 ? ChangeKind.None : ChangeKind.Directories;
    }

    /// <summary>Makes the next look answer <see cref="ChangeKind.Everything"/> (a file vanished under a query, say).</summary>
    public void Forget() => _lastFullListing = long.MinValue;

    private static void Read(string path, List<string> directories)
    {
        try
        {
            foreach (var line in Encoding.UTF8.GetString(File.ReadAllBytes(path)).Split('\n'))
            {
                if (line.Length > 0)
                {
                    directories.Add(line);
                }
            }
        }
        catch (FileNotFoundException)
        {
            // Pruned between the listing and now: only records older than the full-listing period are pruned, and
            // this reader lists everything at least that often.
        }
    }
}
