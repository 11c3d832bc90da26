namespace Oxbow.Tests.Support;

/// <summary>
/// Oxbow's global configuration is process-wide (like Serilog's Log.Logger): the tests that configure it, or capture
/// the console, share this collection and run one at a time. Tests on isolated <see cref="OxbowPipeline"/>s stay out
/// of it and run in parallel with it.
/// </summary>
[CollectionDefinition(Name)]
public sealed class GlobalState
{
    public const string Name = "Oxbow global state";
}
