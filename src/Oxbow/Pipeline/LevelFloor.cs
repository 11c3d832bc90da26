namespace Oxbow.Pipeline;

/// <summary>
/// The two numbers a logging call of one category reads, owned by its <see cref="LevelScope"/> and updated in place
/// when levels change, so a logger created before a change sees it at once without being rebuilt.
/// </summary>
internal sealed class LevelFloor(LevelScope scope, string? category)
{
    /// <summary>The lowest level whose events are built at all (a capture lowers it to trace).</summary>
    public volatile int Gate = (int)OxLevel.Off;

    /// <summary>The lowest level the scope's pipeline takes for this category.</summary>
    public volatile int Pipeline = (int)OxLevel.Off;

    public LevelScope Scope { get; } = scope;

    public string? Category { get; } = category;
}
