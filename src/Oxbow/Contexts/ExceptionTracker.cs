using System.Runtime.InteropServices;

namespace Oxbow.Contexts;

/// <summary>
/// Lets <see cref="OxContext.Dispose"/> know that it runs because an exception is leaving the <c>using</c> block,
/// and which one. The runtime reports whether an exception is in flight (<see cref="Marshal.GetExceptionPointers"/>
/// is non-zero only during exception unwinding); the first-chance handler remembers, per thread, the last exception
/// thrown, which is the one unwinding through the block.
/// </summary>
internal static class ExceptionTracker
{
    [ThreadStatic] private static Exception? t_lastThrown;
    private static int s_installed;

    public static void EnsureInstalled()
    {
        if (Interlocked.Exchange(ref s_installed, 1) == 0)
        {
            AppDomain.CurrentDomain.FirstChanceException += static (_, args) => t_lastThrown = args.Exception;
        }
    }

    /// <summary>The exception unwinding through the caller's <c>finally</c>, or null on a normal exit.</summary>
    public static Exception? InFlight()
    {
        if (Marshal.GetExceptionPointers() == IntPtr.Zero)
        {
            return null;
        }

        var exception = t_lastThrown;
        t_lastThrown = null;
        return exception;
    }
}
