namespace Oxbow.Store.Listing;

/// <summary>
/// The modification times of a store's directories (roots, types, days, hours), for a store without a change feed
/// (<see cref="StoreChanges"/>). Creating, deleting or renaming a file changes its directory's time, so an unchanged
/// snapshot means an unchanged listing. Taking or checking one costs a stat per directory of the store. Directory
/// times are coarse (a few ms), so a snapshot taken while a directory was changing within the last 100 ms is never
/// trusted.
/// </summary>
internal sealed class DirectorySnapshot
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(100);
    private readonly List<(string Path, DateTime Time)> _directories = [];
    private bool _trusted = true;

    public static DirectorySnapshot Take(IEnumerable<string> roots)
    {
        var snapshot = new DirectorySnapshot();
        var now = DateTime.UtcNow;
        foreach (var root in roots)
        {
            snapshot.Add(root, now);
            if (!Directory.Exists(root))
            {
                continue;
            }

            foreach (var type in Directory.EnumerateDirectories(root, "type=*"))
            {
                snapshot.Add(type, now);
                foreach (var day in Directory.EnumerateDirectories(type, "day=*"))
                {
                    snapshot.Add(day, now);
                    foreach (var hour in Directory.EnumerateDirectories(day, "hour=*"))
                    {
                        snapshot.Add(hour, now);
                    }
                }
            }
        }

        return snapshot;
    }

    public bool Unchanged() =>
        _trusted && _directories.All(d => Time(d.Path) == d.Time);

    private void Add(string directory, DateTime now)
    {
        var time = Time(directory);
        _directories.Add((directory, time));
        if (now - time < Settle)
        {
            _trusted = false;
        }
    }

    // One stat: a missing directory reads as 1601-01-01, which never equals a real time. This runs for every directory
    // of a store without a feed on every query, so a second stat per directory (Directory.Exists) would double its cost.
    private static DateTime Time(string directory) => Directory.GetLastWriteTimeUtc(directory);
}
