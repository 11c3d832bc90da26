namespace Oxbow.Pipeline;

/// <summary>
/// The global scope's level checks, for the static entry points (<see cref="Ox"/>, contexts, streams). Unconfigured,
/// every floor is <see cref="OxLevel.Off"/>, so every call returns after one comparison.
/// </summary>
internal static class LevelGate
{
    public static bool IsEnabled(OxLevel level) => (int)level >= LevelScope.Global.Root.Gate;

    /// <summary>True when events go anywhere at all: Oxbow is configured or a capture is running.</summary>
    public static bool Active => EventPipeline.Current is not null || Testing.OxCapture.AnyActive;

    public static void Recompute() => LevelScope.Global.Recompute();
}
