using Oxbow.Testing;

namespace Oxbow.Pipeline;

/// <summary>
/// Where loggers look up their levels: one scope for the global pipeline that <see cref="Ox.Configure(Action{OxbowOptions})"/>
/// installs (and that test captures share), one per isolated <see cref="OxbowPipeline"/>. It keeps a
/// <see cref="LevelFloor"/> per category and rewrites them all when the pipeline or its levels change.
/// </summary>
internal sealed class LevelScope
{
    private readonly object _gate = new();
    private readonly Dictionary<string, LevelFloor> _categories = new(StringComparer.Ordinal);
    private readonly EventPipeline? _own;
    private volatile bool _closed;

    private LevelScope(EventPipeline? own)
    {
        _own = own;
        Root = new LevelFloor(this, null);
    }

    /// <summary>The scope of the global pipeline (<see cref="EventPipeline.Current"/>) and of test captures.</summary>
    public static LevelScope Global { get; } = new(null);

    public bool IsGlobal => _own is null;

    /// <summary>The pipeline events of this scope go to, or null (unconfigured).</summary>
    public EventPipeline? Pipeline => _closed ? null : _own ?? EventPipeline.Current;

    /// <summary>The floor of events without a category.</summary>
    public LevelFloor Root { get; }

    public static LevelScope Isolated(EventPipeline pipeline)
    {
        var scope = new LevelScope(pipeline);
        scope.Recompute();
        return scope;
    }

    /// <summary>An isolated scope whose pipeline was disposed: every floor goes to off for good.</summary>
    public void Close()
    {
        _closed = true;
        Recompute();
    }

    /// <summary>The floor of <paramref name="category"/>, created on first use.</summary>
    public LevelFloor For(string category)
    {
        lock (_gate)
        {
            if (!_categories.TryGetValue(category, out var floor))
            {
                floor = new LevelFloor(this, category);
                Compute(floor, Pipeline?.Levels ?? LevelRules.Off);
                _categories[category] = floor;
            }

            return floor;
        }
    }

    /// <summary>Rewrites every floor from the current pipeline's rules and the captures running.</summary>
    public void Recompute()
    {
        lock (_gate)
        {
            var rules = Pipeline?.Levels ?? LevelRules.Off;
            Compute(Root, rules);
            foreach (var floor in _categories.Values)
            {
                Compute(floor, rules);
            }
        }
    }

    private void Compute(LevelFloor floor, LevelRules rules)
    {
        var pipeline = (int)rules.Resolve(floor.Category);
        floor.Pipeline = pipeline;
        floor.Gate = IsGlobal && OxCapture.AnyActive ? (int)OxLevel.Trace : pipeline;
    }
}
