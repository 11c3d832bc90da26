using System.Globalization;
using Oxbow.Store;
using Oxbow.Store.Listing;

namespace Oxbow.Store;

/// <summary>Options for <see cref="Retention"/>.</summary>
public sealed class RetentionOptions
{
    /// <summary>The collector's data directory. Required.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Days to keep, counting today (UTC): 1 keeps only today, 7 keeps today and the 6 days before. Required, at least 1.</summary>
    public required int RetainDays { get; init; }

    /// <summary>Per-type overrides of <see cref="RetainDays"/>, by exact type name. Default none.</summary>
    public IReadOnlyDictionary<string, int> PerType { get; init; } = new Dictionary<string, int>();

    /// <summary>Clock for "today". Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// <c>oxbow store prune</c>: removes whole <c>day=</c> directories older than the retention. A day is first renamed
/// out of the layout (one atomic step, after which no query sees any of it) and then deleted, so a day is never
/// half-removed as far as queries can tell; what a crash leaves in the trash is deleted by the next run.
/// </summary>
public static class Retention
{
    /// <summary>Prunes; returns the removed directories relative to the data directory, oldest first.</summary>
    public static IReadOnlyList<string> Prune(RetentionOptions options)
    {
        if (options.RetainDays < 1 || options.PerType.Values.Any(d => d < 1))
        {
            throw new ArgumentException("retention must keep at least 1 day");
        }

        var trash = Path.Combine(options.DataDirectory, "_oxbow", "trash");
        EmptyTrash(trash);
        var today = DateOnly.FromDateTime(options.Time.GetUtcNow().UtcDateTime);
        List<string> removed = [];
        foreach (var type in StoreLayout.Types(options.DataDirectory))
        {
            var keep = options.PerType.TryGetValue(type, out var days) ? days : options.RetainDays;
            var oldestKept = today.AddDays(1 - keep);
            var typeDirectory = Path.Combine(options.DataDirectory, StoreLayout.TypeDirectory(type));
            foreach (var dayDirectory in Directory.EnumerateDirectories(typeDirectory, "day=*").Order(StringComparer.Ordinal).ToList())
            {
                if (!StoreLayout.TryParseDay(Path.GetFileName(dayDirectory)["day=".Length..], out var day) || day >= oldestKept)
                {
                    continue;
                }

                Directory.CreateDirectory(trash);
                Directory.Move(dayDirectory, Path.Combine(trash, $"{type}-{day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}-{Guid.NewGuid():n}"));
                removed.Add(StoreLayout.DayDirectory(type, day));
            }
        }

        StoreChanges.Record(options.DataDirectory, removed);
        EmptyTrash(trash);
        return removed;
    }

    private static void EmptyTrash(string trash)
    {
        if (Directory.Exists(trash))
        {
            foreach (var entry in Directory.EnumerateDirectories(trash))
            {
                Directory.Delete(entry, recursive: true);
            }
        }
    }
}
