using System.Diagnostics;

namespace Oxbow.Store.Compaction;

/// <summary>
/// Crash points for tests of atomicity: when <c>OXBOW_FAULT</c> names a point, the process kills itself there with
/// SIGKILL, as a power cut would. Unset (always, outside tests), each point is one string comparison.
/// </summary>
internal static class FaultPoints
{
    private static readonly string? Armed = Environment.GetEnvironmentVariable("OXBOW_FAULT");

    public static void Hit(string point)
    {
        if (Armed == point)
        {
            Process.GetCurrentProcess().Kill();
        }
    }
}
