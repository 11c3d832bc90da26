using Oxbow.Logging;
using Oxbow.Pipeline;

namespace Oxbow;

/// <summary>
/// An immutable structured logger: <c>log.Info("user_logged_in", "user", name, "attempts", 3)</c>.
/// <see cref="Bind(string, object?)"/> returns a new logger carrying extra fields; the original is unchanged,
/// so loggers can be shared freely across threads.
/// </summary>
/// <remarks>
/// Each call writes one event of type <c>log</c>, or <c>&lt;context&gt;.log</c> sharing the context's id when an
/// <see cref="OxContext"/> is open. Field precedence, highest first: call-site, bound, ambient
/// (<see cref="Ox.BindScope(string, object?)"/>). A call below the minimum level returns after one comparison:
/// it allocates nothing and formats nothing.
/// </remarks>
public sealed partial class OxLogger
{
    // The floor is read by every call: a field of this object, updated in place on level changes.
    private readonly LevelFloor _floor;

    private OxLogger(FieldBindings bound, LevelFloor floor)
    {
        Bound = bound;
        _floor = floor;
    }

    internal OxLogger(LevelFloor floor)
        : this(FieldBindings.Empty, floor)
    {
    }

    /// <summary>The global logger with nothing bound.</summary>
    public static OxLogger Root { get; } = new(FieldBindings.Empty, LevelScope.Global.Root);

    internal FieldBindings Bound { get; }

    /// <summary>Where this logger's events go and at which levels: its pipeline's scope and its category.</summary>
    internal LevelFloor Floor => _floor;

    /// <summary>The bound fields, in binding order.</summary>
    public IReadOnlyList<BoundField> BoundFields => Bound.Fields;

    /// <summary>True when an event of <paramref name="level"/> would be written anywhere.</summary>
    public bool IsEnabled(OxLevel level) => (int)level >= _floor.Gate;

    /// <summary>A new logger with <paramref name="key"/> bound (replacing an earlier binding of it).</summary>
    public OxLogger Bind(string key, object? value) => new(Bound.With([new BoundField(key, value)]), _floor);

    /// <summary>A new logger with several fields bound.</summary>
    public OxLogger Bind(params ReadOnlySpan<BoundField> fields) => new(Bound.With(fields), _floor);

    /// <summary>A new logger without <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException"><paramref name="key"/> is not bound.</exception>
    public OxLogger Unbind(string key) =>
        Bound.Contains(key) ? new OxLogger(Bound.Without(key), _floor) : throw new KeyNotFoundException($"'{key}' is not bound to this logger.");

    /// <summary>A new logger without <paramref name="key"/>; no error when it was not bound.</summary>
    public OxLogger TryUnbind(string key) => Bound.Contains(key) ? new OxLogger(Bound.Without(key), _floor) : this;

    /// <summary>A new logger with everything unbound and then <paramref name="fields"/> bound.</summary>
    public OxLogger New(params ReadOnlySpan<BoundField> fields) => new(FieldBindings.Empty.With(fields), _floor);

    /// <summary>Writes an event with any number of fields (allocates; prefer the typed overloads on hot paths).</summary>
    public void Log(OxLevel level, string evt, IReadOnlyList<KeyValuePair<string, object?>> fields) => Log(level, (Exception?)null, evt, fields);

    /// <summary>Writes an event with an exception and any number of fields (allocates; prefer the typed overloads on hot paths).</summary>
    public void Log(OxLevel level, Exception? exception, string evt, IReadOnlyList<KeyValuePair<string, object?>> fields)
    {
        if ((int)level >= _floor.Gate)
        {
            LogWriter.Write(this, level, exception, evt, new FieldSequence(fields));
        }
    }
}
