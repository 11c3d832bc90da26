namespace Oxbow;

/// <summary>
/// Where Oxbow reports its own failures (a sink that threw, a processor that threw). Off by default, because
/// Oxbow must never write to the application's output on its own. Enable it while diagnosing:
/// <c>OxbowSelfLog.Enable(Console.Error.WriteLine)</c>.
/// </summary>
public static class OxbowSelfLog
{
    private static Action<string>? s_output;

    /// <summary>Sends Oxbow's internal error messages to <paramref name="output"/>.</summary>
    public static void Enable(Action<string> output) => s_output = output;

    /// <summary>Stops reporting.</summary>
    public static void Disable() => s_output = null;

    internal static void Write(string message)
    {
        try
        {
            s_output?.Invoke($"{DateTime.UtcNow:O} oxbow: {message}");
        }
        catch
        {
            // The self-log is best effort by definition.
        }
    }
}
