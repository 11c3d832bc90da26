using System.Globalization;
using System.Text;

namespace Oxbow.Store.Listing;

/// <summary>
/// The store's change feed: every writer that adds, replaces or removes files in the layout (the collector, sealing,
/// compaction, retention, the archive) says which directories it touched, so that a long-lived query engine relists
/// those alone instead of checking every directory of the store before every query. A record is one small file in
/// <c>DATA/_oxbow/changes/</c>, written under a temporary name and renamed, so writers in different processes never
/// need a lock and a reader never sees half a record.
/// </summary>
/// <remarks>
/// Records are kept for <see cref="Kept"/> and then removed by later writers. A reader that has not looked for longer
/// than <see cref="ListEverythingAfter"/> (half of that) lists the whole store instead, so a record removed before
/// it was read can never hide a change. The feed only ever saves work: a missing or unreadable record directory means
/// "list everything".
/// </remarks>
public static class StoreChanges
{
    /// <summary>A record that stands for every directory of the store.</summary>
    public const string Everything = "*";

    /// <summary>How long records stay on disk.</summary>
    public static readonly TimeSpan Kept = TimeSpan.FromMinutes(10);

    /// <summary>The longest a reader may go between lookups and still trust the records; also how often it lists everything anyway.</summary>
    public static readonly TimeSpan ListEverythingAfter = TimeSpan.FromMinutes(5);

    private const string TemporarySuffix = ".tmp";
    private static long _lastPrune;

    /// <summary>The directory the records of the store at <paramref name="dataDirectory"/> live in.</summary>
    public static string Directory(string dataDirectory) => Path.Combine(dataDirectory, "_oxbow", "changes");

    /// <summary>
    /// Records that the files under <paramref name="relativeDirectories"/> (such as <c>type=request/day=2026-12-05/hour=09</c>,
    /// a day, a type, or <see cref="Everything"/>) changed. Call it after the change is visible on disk. Never throws:
    /// when the record cannot be written (a full disk), readers in this process are told to list everything, and other
    /// processes see the change at their next full listing.
    /// </summary>
    public static void Record(string dataDirectory, IEnumerable<string> relativeDirectories)
    {
        var text = string.Join('\n', relativeDirectories.Distinct(StringComparer.Ordinal));
        if (text.Length == 0)
        {
            return;
        }

        var directory = Directory(dataDirectory);
        var name = string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow.Ticks:D19}-{Random.Shared.NextInt64():x16}");
        var path = Path.Combine(directory, name);
        try
        {
            System.IO.Directory.CreateDirectory(directory);
            File.WriteAllBytes(path + TemporarySuffix, Encoding.UTF8.GetBytes(text));
            File.Move(path + TemporarySuffix, path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Interlocked.Increment(ref _failures);
            TryDelete(path + TemporarySuffix);
        }

        PruneNowAndThen(directory);
    }

    /// <summary>As <see cref="Record(string, IEnumerable{string})"/> for one directory.</summary>
    public static void Record(string dataDirectory, string relativeDirectory) => Record(dataDirectory, [relativeDirectory]);

    // Records that could not be written in this process: a reader here that sees the count move lists everything.
    private static long _failures;

    internal static long Failures => Interlocked.Read(ref _failures);

    /// <summary>The time a record was written, from its name; null for a name that is not a record's.</summary>
    internal static DateTime? Written(string name) =>
        name.Length == 36 && name[19] == '-' && long.TryParse(name.AsSpan(0, 19), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
        && ticks <= DateTime.MaxValue.Ticks ? new DateTime(ticks, DateTimeKind.Utc) : null;

    /// <summary>Whether <paramref name="name"/> is a finished record (not one being written).</summary>
    internal static bool IsRecord(string name) => Written(name) is not null;

    /// <summary>Removes records older than <see cref="Kept"/>, at most once a minute per process (a writer lists the directory then).</summary>
    private static void PruneNowAndThen(string directory)
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastPrune);
        if ((last != 0 && now - last < 60_000) || Interlocked.CompareExchange(ref _lastPrune, now, last) != last)
        {
            return;
        }

        try
        {
            var cutoff = DateTime.UtcNow - Kept;
            foreach (var path in System.IO.Directory.EnumerateFiles(directory))
            {
                var name = Path.GetFileName(path);
                // A temporary file left by a writer that died is removed once it is as old as a record would be.
                if (Written(name.EndsWith(TemporarySuffix, StringComparison.Ordinal) ? name[..^TemporarySuffix.Length] : name) is { } written && written < cutoff)
                {
                    TryDelete(path);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The next writer tries again.
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Pruned later.
        }
    }
}
