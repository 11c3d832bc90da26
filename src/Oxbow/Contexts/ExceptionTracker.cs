using System.Runtime.InteropServices;

namespace Oxbow.Contexts;

/// <summary>
/// Lets <see cref="OxContext.Dispose"/> know that it runs because an exception is leaving the <c>using</c> block,
/// and which one.
/// </summary>
/// <remarks>
/// <see cref="Marshal.GetExceptionPointers"/> is non-zero while an exception is being dispatched: during the
/// unwinding that runs a <c>finally</c>, but also for the whole of a <c>catch</c> handler. So "non-zero" alone
/// would mark a context that opens and ends normally inside a <c>catch</c> (a retry, a fallback) as failed with the
/// exception the handler already dealt with. The value identifies the dispatch (a nested dispatch has its own, and
/// the outer one is restored when it ends), so a context remembers the value it opened under, and only a
/// <em>different</em> dispatch at disposal means an exception is leaving its block. The first-chance handler
/// remembers, per thread, the last exception thrown, which is the one unwinding through the block.
/// </remarks>
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

    /// <summary>The dispatch the caller runs under (zero outside any <c>catch</c> or unwinding); pass it to <see cref="InFlight"/> later.</summary>
    public static nint CurrentDispatch() => Marshal.GetExceptionPointers();

    /// <summary>
    /// The exception unwinding through the caller's <c>finally</c>, or null on a normal exit, including an exit inside
    /// the same <c>catch</c> handler that was running at <paramref name="openedUnder"/>.
    /// </summary>
    public static Exception? InFlight(nint openedUnder)
    {
        var now = Marshal.GetExceptionPointers();
        if (now == IntPtr.Zero || now == openedUnder)
        {
            return null;
        }

        var exception = t_lastThrown;
        t_lastThrown = null;
        return exception;
    }
}
