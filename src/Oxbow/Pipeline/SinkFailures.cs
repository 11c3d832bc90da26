namespace Oxbow.Pipeline;

/// <summary>
/// Tells the operator when a sink loses events, without flooding: the first failure of each sink is written at once
/// (what failed, how many events, how to silence it), later ones as one summary a minute. It writes to
/// <see cref="OxbowOptions.SinkFailureOutput"/> (standard error by default) and to <see cref="OxbowSelfLog"/>.
/// </summary>
/// <remarks>
/// A sink failure is silent otherwise: the sinks run on the writer thread and never throw into the application, and
/// a counter nobody reads tells nobody. Standard error is where a .NET service's operator looks first.
/// </remarks>
internal static class SinkFailures
{
    private static readonly TimeSpan SummaryInterval = TimeSpan.FromMinutes(1);
    private static readonly Dictionary<string, State> s_sinks = new(StringComparer.Ordinal);
    private static TextWriter? s_output = Console.Error;

    /// <summary>Where reports go; null silences them. Set from the pipeline's options.</summary>
    public static TextWriter? Output
    {
        get => Volatile.Read(ref s_output);
        set => Volatile.Write(ref s_output, value);
    }

    /// <summary>Records that <paramref name="sink"/> lost <paramref name="events"/> events because of <paramref name="error"/>.</summary>
    public static void Report(string sink, string error, long events)
    {
        string? message;
        lock (s_sinks)
        {
            var now = Environment.TickCount64;
            if (!s_sinks.TryGetValue(sink, out var state))
            {
                s_sinks[sink] = new State { SummaryDueAt = now + (long)SummaryInterval.TotalMilliseconds };
                message = $"oxbow: sink {sink} failed: {error}; {events} event(s) lost. Later failures of this sink are summarised once a minute. "
                    + "Silence with OxbowOptions.SinkFailureOutput = null or OXBOW_SINK_ERRORS=off; counts are in Ox.Stats.";
            }
            else
            {
                state.Failures++;
                state.Events += events;
                if (now < state.SummaryDueAt)
                {
                    return;
                }

                message = $"oxbow: sink {sink} failed {state.Failures} more time(s) in the last {SummaryInterval.TotalSeconds:0} s; {state.Events} event(s) lost; last error: {error}";
                state.Failures = 0;
                state.Events = 0;
                state.SummaryDueAt = now + (long)SummaryInterval.TotalMilliseconds;
            }
        }

        Write(message);
    }

    /// <summary>Forgets every sink's history (a new configuration reports afresh).</summary>
    public static void Reset()
    {
        lock (s_sinks)
        {
            s_sinks.Clear();
        }
    }

    private static void Write(string message)
    {
        OxbowSelfLog.Write(message);
        try
        {
            Output?.WriteLine(message);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // Standard error itself is gone: nothing more to tell anyone.
        }
    }

    private sealed class State
    {
        public long Failures { get; set; }

        public long Events { get; set; }

        public long SummaryDueAt { get; set; }
    }
}
