using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Oxbow.AspNetCore;

/// <summary>
/// Decides whether a cancelled outgoing call timed out or was cancelled by its caller, and then ends its event.
/// </summary>
/// <remarks>
/// HttpClient passes its handlers one linked token for both its own <see cref="HttpClient.Timeout"/> and the
/// caller's token, so inside a handler both look the same: the token is cancelled. Only after the exception has left
/// the handlers does HttpClient tell them apart, by throwing a new <see cref="TaskCanceledException"/> whose inner
/// exception is a <see cref="TimeoutException"/> wrapping the handler's exception (for a timeout), or wrapping it
/// directly (for the caller). That throw raises a first-chance notification on the caller's thread right away, which
/// is where the verdict is read. A call made without an HttpClient above it never gets such a wrapper; its event is
/// ended as <c>canceled</c> after <see cref="GracePeriod"/>.
/// </remarks>
internal static class CancellationVerdict
{
    private static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(1);
    private static readonly ConcurrentDictionary<Exception, Pending> s_pending = new(ReferenceEqualityComparer.Instance);
    private static int s_count;
    private static int s_installed;

    /// <summary>Takes over <paramref name="context"/>: it is ended (and emitted) once the verdict on <paramref name="cancellation"/> is known.</summary>
    public static void Await(OperationCanceledException cancellation, OxContext context)
    {
        if (Interlocked.Exchange(ref s_installed, 1) == 0)
        {
            AppDomain.CurrentDomain.FirstChanceException += OnFirstChance;
        }

        var pending = new Pending(context);
        s_pending[cancellation] = pending;
        Interlocked.Increment(ref s_count);
        pending.Fallback = new Timer(static state => Resolve((Exception)state!, timedOut: false), cancellation, GracePeriod, Timeout.InfiniteTimeSpan);
    }

    private static void OnFirstChance(object? sender, FirstChanceExceptionEventArgs args)
    {
        // Runs for every exception in the process: one read when nothing is pending.
        if (Volatile.Read(ref s_count) == 0)
        {
            return;
        }

        var timedOut = false;
        var inner = args.Exception.InnerException;
        for (var depth = 0; inner is not null && depth < 4; depth++, inner = inner.InnerException)
        {
            timedOut |= inner is TimeoutException;
            if (s_pending.ContainsKey(inner))
            {
                Resolve(inner, timedOut);
                return;
            }
        }
    }

    private static void Resolve(Exception cancellation, bool timedOut)
    {
        if (!s_pending.TryRemove(cancellation, out var pending))
        {
            return;
        }

        Interlocked.Decrement(ref s_count);
        pending.Fallback?.Dispose();
        try
        {
            pending.Context.Set("error", timedOut ? "timeout" : "canceled");
            pending.Context.Dispose();
        }
        catch (InvalidOperationException)
        {
            // Someone ended the context meanwhile: its event is out already.
        }
    }

    private sealed class Pending(OxContext context)
    {
        public OxContext Context { get; } = context;

        public Timer? Fallback { get; set; }
    }
}
