namespace Oxbow.Pipeline;

/// <summary>
/// The levels of one configuration, immutable: the default minimum, category overrides (most specific prefix wins, as
/// in Microsoft.Extensions.Logging) and the lowest level any sink takes. A live level change swaps in a new instance.
/// </summary>
internal sealed class LevelRules
{
    private readonly (string Prefix, OxLevel Level)[] _overrides;

    public LevelRules(OxLevel defaultLevel, IEnumerable<KeyValuePair<string, OxLevel>> overrides, OxLevel lowestSink)
    {
        Default = defaultLevel;
        LowestSink = lowestSink;
        // Longest prefix first, so the first match is the most specific one.
        _overrides = overrides
            .Select(o => (Prefix: Normalize(o.Key), o.Value))
            .Where(o => o.Prefix.Length > 0)
            .OrderByDescending(o => o.Prefix.Length)
            .ToArray();
        var lowestRule = _overrides.Aggregate(defaultLevel, (lowest, o) => o.Level < lowest ? o.Level : lowest);
        Lowest = Max(lowestRule, lowestSink);
    }

    /// <summary>Everything off: what an unconfigured scope uses.</summary>
    public static LevelRules Off { get; } = new(OxLevel.Off, [], OxLevel.Off);

    public OxLevel Default { get; }

    /// <summary>The lowest minimum level among the sinks: no event below it goes anywhere, whatever its category.</summary>
    public OxLevel LowestSink { get; }

    /// <summary>The lowest level any category can reach the queue with.</summary>
    public OxLevel Lowest { get; }

    /// <summary>The minimum level for events of <paramref name="category"/> (null: no category, the default applies).</summary>
    public OxLevel Resolve(string? category)
    {
        var level = Default;
        if (category is not null)
        {
            foreach (var (prefix, overridden) in _overrides)
            {
                if (Matches(category, prefix))
                {
                    level = overridden;
                    break;
                }
            }
        }

        return Max(level, LowestSink);
    }

    private static bool Matches(string category, string prefix) =>
        category.StartsWith(prefix, StringComparison.Ordinal)
        && (category.Length == prefix.Length || category[prefix.Length] == '.' || prefix[^1] == '.');

    /// <summary><c>Microsoft.*</c>, <c>Microsoft.</c> and <c>Microsoft</c> all mean Microsoft and everything under it.</summary>
    private static string Normalize(string key)
    {
        var prefix = key.Trim();
        if (prefix.EndsWith('*'))
        {
            prefix = prefix[..^1];
        }

        return prefix.TrimEnd('.');
    }

    private static OxLevel Max(OxLevel a, OxLevel b) => a > b ? a : b;
}
