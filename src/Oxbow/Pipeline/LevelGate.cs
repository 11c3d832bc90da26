namespace Oxbow.Pipeline;

/// <summary>
/// The one number every logging call reads first: the lowest level anyone (the pipeline or a test capture) wants.
/// Unconfigured, it is <see cref="OxLevel.Off"/>, so every call returns after one comparison.
/// </summary>
internal static class LevelGate
{
    private static int s_minimum = (int)OxLevel.Off;
    private static int s_captures;

    public static bool IsEnabled(OxLevel level) => (int)level >= s_minimum;

    /// <summary>True when events go anywhere at all: Oxbow is configured or a capture is running.</summary>
    public static bool Active => s_minimum < (int)OxLevel.Off || Volatile.Read(ref s_captures) > 0;

    public static bool CapturesActive => Volatile.Read(ref s_captures) > 0;

    public static void CaptureStarted()
    {
        Interlocked.Increment(ref s_captures);
        Recompute();
    }

    public static void CaptureEnded()
    {
        Interlocked.Decrement(ref s_captures);
        Recompute();
    }

    public static void Recompute()
    {
        var pipeline = EventPipeline.Current;
        var minimum = pipeline is null ? (int)OxLevel.Off : (int)pipeline.MinimumLevel;
        if (Volatile.Read(ref s_captures) > 0)
        {
            minimum = (int)OxLevel.Trace;
        }

        Volatile.Write(ref s_minimum, minimum);
    }
}
