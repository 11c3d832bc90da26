using System.Globalization;

namespace Oxbow.Store;

/// <summary>
/// The collector's Hive layout, <c>DATA/type=&lt;type&gt;/day=YYYY-MM-DD/hour=HH/</c>, and which files in it hold
/// events right now. One hour directory can hold, at once:
/// <list type="bullet">
/// <item><c>X.ndjson</c>, a file the collector is still appending to (its last line may be torn mid-write);</item>
/// <item><c>X.ndjson.gz</c>, a sealed file (while sealing, <c>X.ndjson</c> and <c>X.ndjson.gz</c> both exist for a
/// moment: the <c>.gz</c> wins);</item>
/// <item><c>C.parquet</c>, a compaction, with <c>C.parquet.sources</c> naming the NDJSON files it replaced. The
/// rename to <c>C.parquet</c> is the commit: from then on the listed sources no longer count, even if a crash left
/// them on disk. A <c>.sources</c> without its <c>.parquet</c> is an aborted compaction and counts for nothing.</item>
/// </list>
/// Readers apply these rules, so a query never sees an event twice or misses one at the NDJSON/Parquet boundary.
/// </summary>
public static class StoreLayout
{
    /// <summary>Suffix of a compaction's list of replaced files.</summary>
    public const string SourcesSuffix = ".sources";

    /// <summary>Suffix of a compacted file's lookup index (<c>C.parquet.keys</c>): which ids and trace ids it may hold.</summary>
    public const string LookupIndexSuffix = ".keys";

    /// <summary>Suffix of files being written; never read.</summary>
    public const string TemporarySuffix = ".tmp";

    /// <summary>Every partition (type, day, hour) under <paramref name="dataDirectory"/>; nothing outside it.</summary>
    public static IEnumerable<Partition> Partitions(string dataDirectory, string? onlyType = null) =>
        Directory.Exists(dataDirectory) ? Under(dataDirectory, onlyType, null, null) : [];

    /// <summary>
    /// The partitions under <paramref name="relativeDirectory"/> of the store: a type (<c>type=T</c>), a day
    /// (<c>type=T/day=D</c>) or an hour (<c>type=T/day=D/hour=HH</c>). Nothing when the text is not one of those
    /// (it never becomes a path unless every segment is valid) or the directory is gone.
    /// </summary>
    internal static IEnumerable<Partition> PartitionsUnder(string dataDirectory, string relativeDirectory)
    {
        var segments = relativeDirectory.Split('/');
        if (segments.Length is < 1 or > 3 || !segments[0].StartsWith("type=", StringComparison.Ordinal) || !EventType.IsValid(segments[0][5..]))
        {
            return [];
        }

        DateOnly? day = null;
        if (segments.Length > 1)
        {
            if (!segments[1].StartsWith("day=", StringComparison.Ordinal) || !TryParseDay(segments[1][4..], out var parsed))
            {
                return [];
            }

            day = parsed;
        }

        int? hour = null;
        if (segments.Length > 2)
        {
            if (!segments[2].StartsWith("hour=", StringComparison.Ordinal) || ParseHour(segments[2][5..]) is not { } parsed)
            {
                return [];
            }

            hour = parsed;
        }

        return Directory.Exists(dataDirectory) ? Under(dataDirectory, segments[0][5..], day, hour) : [];
    }

    private static IEnumerable<Partition> Under(string dataDirectory, string? onlyType, DateOnly? onlyDay, int? onlyHour)
    {
        var types = onlyType is null ? Directory.EnumerateDirectories(dataDirectory, "type=*") : [Path.Combine(dataDirectory, "type=" + onlyType)];
        foreach (var typeDirectory in types)
        {
            var type = Path.GetFileName(typeDirectory)["type=".Length..];
            if (!EventType.IsValid(type) || (onlyType is not null && !Directory.Exists(typeDirectory)))
            {
                continue;
            }

            var days = onlyDay is { } d ? [Path.Combine(typeDirectory, "day=" + d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))] : Directory.EnumerateDirectories(typeDirectory, "day=*");
            foreach (var dayDirectory in days)
            {
                if (!TryParseDay(Path.GetFileName(dayDirectory)["day=".Length..], out var day) || (onlyDay is not null && !Directory.Exists(dayDirectory)))
                {
                    continue;
                }

                var hours = onlyHour is { } h ? [Path.Combine(dayDirectory, "hour=" + h.ToString("00", CultureInfo.InvariantCulture))] : Directory.EnumerateDirectories(dayDirectory, "hour=*");
                foreach (var hourDirectory in hours)
                {
                    if (ParseHour(Path.GetFileName(hourDirectory)["hour=".Length..]) is { } hour && (onlyHour is null || Directory.Exists(hourDirectory)))
                    {
                        yield return new Partition(type, day, hour, hourDirectory);
                    }
                }
            }
        }
    }

    private static int? ParseHour(string text) =>
        text.Length == 2 && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var hour) && hour < 24 ? hour : null;

    /// <summary>The event types that have a directory in the store, sorted.</summary>
    public static IReadOnlyList<string> Types(string dataDirectory) =>
        Directory.Exists(dataDirectory)
            ? [.. Directory.EnumerateDirectories(dataDirectory, "type=*").Select(d => Path.GetFileName(d)["type=".Length..]).Where(EventType.IsValid).Order(StringComparer.Ordinal)]
            : [];

    /// <summary>The files that hold a partition's events now, by the rules on the class.</summary>
    public static PartitionFiles Files(Partition partition)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var file in Directory.EnumerateFiles(partition.Directory))
            {
                names.Add(Path.GetFileName(file));
            }
        }
        catch (DirectoryNotFoundException)
        {
            // Removed whole by retention while we looked.
        }

        return Count(partition, names, name => ReadSources(Path.Combine(partition.Directory, name)));
    }

    /// <summary>
    /// Which of <paramref name="names"/> (the file names in the partition's directory) count, by the rules on the
    /// class; <paramref name="readSources"/> gives the names a <c>.sources</c> file lists. Apart from the disk, so the
    /// store's model test applies the very rules queries do.
    /// </summary>
    internal static PartitionFiles Count(Partition partition, IReadOnlySet<string> names, Func<string, IReadOnlyList<string>> readSources)
    {
        var replaced = new HashSet<string>(StringComparer.Ordinal);
        List<string> parquet = [];
        foreach (var name in names)
        {
            if (name.EndsWith(".parquet", StringComparison.Ordinal))
            {
                parquet.Add(Path.Combine(partition.Directory, name));
                if (names.Contains(name + SourcesSuffix))
                {
                    foreach (var source in readSources(name + SourcesSuffix))
                    {
                        replaced.Add(source);
                    }
                }
            }
        }

        List<string> active = [], sealedFiles = [];
        foreach (var name in names)
        {
            if (replaced.Contains(name))
            {
                continue;
            }

            if (name.EndsWith(".ndjson.gz", StringComparison.Ordinal))
            {
                sealedFiles.Add(Path.Combine(partition.Directory, name));
            }
            else if (name.EndsWith(".ndjson", StringComparison.Ordinal) && !names.Contains(name + ".gz") && !replaced.Contains(name + ".gz"))
            {
                active.Add(Path.Combine(partition.Directory, name));
            }
        }

        // An earlier compaction of this hour that a later one has replaced (committed) no longer counts either.
        parquet.RemoveAll(p => replaced.Contains(Path.GetFileName(p)));
        active.Sort(StringComparer.Ordinal);
        sealedFiles.Sort(StringComparer.Ordinal);
        parquet.Sort(StringComparer.Ordinal);
        return new PartitionFiles(partition, active, sealedFiles, parquet);
    }

    /// <summary>The file names (not paths) a compaction's <c>.sources</c> file lists.</summary>
    public static IReadOnlyList<string> ReadSources(string path)
    {
        try
        {
            return ParseSources(File.ReadAllText(path));
        }
        catch (FileNotFoundException)
        {
            return [];
        }
    }

    /// <summary>
    /// The names in a <c>.sources</c> file's text: one per line; anything with a separator is ignored, so a damaged
    /// list cannot point elsewhere.
    /// </summary>
    internal static IReadOnlyList<string> ParseSources(string text) =>
        [.. text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0 && l.IndexOfAny(['/', '\\']) < 0 && l != "." && l != "..")];

    /// <summary>Parses <c>YYYY-MM-DD</c>.</summary>
    public static bool TryParseDay(string text, out DateOnly day) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);

    /// <summary>The directory of one partition, relative to the data directory, with <c>/</c> separators.</summary>
    public static string RelativeDirectory(string type, DateOnly day, int hour) =>
        $"{TypeDirectory(type)}/{DayName(day)}/hour={hour.ToString("D2", CultureInfo.InvariantCulture)}";

    /// <summary>A type's directory, relative to the data directory (<c>type=T</c>).</summary>
    /// <exception cref="ArgumentException">Not a valid event type: a name from outside never becomes a path.</exception>
    public static string TypeDirectory(string type) => TypePrefix + EventType.Validate(type);

    /// <summary>How every type directory's name starts.</summary>
    internal const string TypePrefix = "type=";

    /// <summary>
    /// The hour a relative path (<c>type=T/day=D/hour=H/name.parquet</c>, an archived object's key under its prefix)
    /// belongs to; null for anything else, so a stray or hostile key can never name a path outside the layout.
    /// </summary>
    internal static DateTime? HourOfParquet(string relative)
    {
        var parts = relative.Split('/');
        if (parts.Length != 4 || !parts[0].StartsWith(TypePrefix, StringComparison.Ordinal) || !EventType.IsValid(parts[0][TypePrefix.Length..])
            || !parts[1].StartsWith("day=", StringComparison.Ordinal) || !TryParseDay(parts[1][4..], out var day)
            || !parts[2].StartsWith("hour=", StringComparison.Ordinal) || parts[2].Length != 7
            || !int.TryParse(parts[2][5..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var hour) || hour > 23
            || !parts[3].EndsWith(".parquet", StringComparison.Ordinal) || parts[3].StartsWith('.') || parts[3].Contains('\\'))
        {
            return null;
        }

        return day.ToDateTime(new TimeOnly(hour, 0), DateTimeKind.Utc);
    }

    /// <summary>A day's directory, relative to the data directory (<c>type=T/day=YYYY-MM-DD</c>).</summary>
    public static string DayDirectory(string type, DateOnly day) => $"{TypeDirectory(type)}/{DayName(day)}";

    private static string DayName(DateOnly day) => "day=" + day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>
    /// The name, relative to the data directory, of a file a collector appends to: <c>type=T/day=D/hour=HH/W-N.ndjson</c>,
    /// <paramref name="writer"/> being the collector's id and <paramref name="sequence"/> its own counter (ten digits,
    /// so names sort in the order they were made). <paramref name="day"/> and <paramref name="hour"/> are the text of a
    /// canonical event's <c>end</c> (<c>YYYY-MM-DD</c>, <c>HH</c>), checked by its parser.
    /// </summary>
    internal static string ActiveFile(string type, string day, string hour, string writer, long sequence) =>
        $"{TypeDirectory(type)}/day={day}/hour={hour}/{writer}-{sequence.ToString("D10", CultureInfo.InvariantCulture)}.ndjson";
}

/// <summary>One hour of one type.</summary>
/// <param name="Type">The event type.</param>
/// <param name="Day">The UTC day.</param>
/// <param name="Hour">The UTC hour, 0–23.</param>
/// <param name="Directory">The hour's directory.</param>
public sealed record Partition(string Type, DateOnly Day, int Hour, string Directory)
{
    /// <summary>The hour's first instant, UTC.</summary>
    public DateTime Start => Day.ToDateTime(new TimeOnly(Hour, 0), DateTimeKind.Utc);
}

/// <summary>The files that hold one partition's events.</summary>
/// <param name="Partition">The partition.</param>
/// <param name="Active">NDJSON files still being appended to.</param>
/// <param name="Sealed">Sealed <c>.ndjson.gz</c> files not yet compacted.</param>
/// <param name="Parquet">Committed compactions.</param>
public sealed record PartitionFiles(Partition Partition, IReadOnlyList<string> Active, IReadOnlyList<string> Sealed, IReadOnlyList<string> Parquet)
{
    /// <summary>How many files.</summary>
    public int Count => Active.Count + Sealed.Count + Parquet.Count;
}
