namespace Oxbow;

/// <summary>Who decides whether a sampled context is kept.</summary>
public enum SampleDecider
{
    /// <summary><c>"."</c>: every instance of the context decides for itself.</summary>
    Self,

    /// <summary><c>".."</c>: the parent decides once per child name, so all of its children of that name are in or all out.</summary>
    Parent,

    /// <summary><c>"^"</c>: the outermost open context decides once per child name.</summary>
    Top,

    /// <summary>The innermost open context of a given type decides once per child name.</summary>
    Named,
}

/// <summary>
/// A sampling rule: keep a context with probability <see cref="Rate"/>, decided by <see cref="Decider"/>.
/// A context that is sampled out records nothing and emits nothing, and neither do its descendants.
/// When the deciding context is not open, the context decides for itself.
/// </summary>
public readonly record struct Sampling
{
    private Sampling(SampleDecider decider, double rate, string? contextType)
    {
        if (double.IsNaN(rate) || rate is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "A sampling rate is a probability between 0 and 1.");
        }

        Decider = decider;
        Rate = rate;
        ContextType = contextType;
    }

    /// <summary>Who decides.</summary>
    public SampleDecider Decider { get; }

    /// <summary>Probability of being kept, from 0 to 1.</summary>
    public double Rate { get; }

    /// <summary>The deciding context's type, for <see cref="SampleDecider.Named"/>.</summary>
    public string? ContextType { get; }

    /// <summary>Each instance decides (<c>"."</c>).</summary>
    public static Sampling Self(double rate) => new(SampleDecider.Self, rate, null);

    /// <summary>The parent decides once per child name (<c>".."</c>).</summary>
    public static Sampling Parent(double rate) => new(SampleDecider.Parent, rate, null);

    /// <summary>The outermost context decides once per child name (<c>"^"</c>).</summary>
    public static Sampling Top(double rate) => new(SampleDecider.Top, rate, null);

    /// <summary>The open context of type <paramref name="contextType"/> decides once per child name.</summary>
    public static Sampling Named(string contextType, double rate) => new(SampleDecider.Named, rate, EventType.Validate(contextType, nameof(contextType)));

    /// <summary>BlueOx's notation: <c>"."</c>, <c>".."</c>, <c>"^"</c> or a context type.</summary>
    public static Sampling Of(string decider, double rate) => decider switch
    {
        "." => Self(rate),
        ".." => Parent(rate),
        "^" => Top(rate),
        _ => Named(decider, rate),
    };
}
