using System.Globalization;
using Xunit.Sdk;

namespace Oxbow.Daemon.Tests.Support;

/// <summary>One random schedule of a model test, made from its seed.</summary>
internal interface IModelSchedule
{
    void Run();

    /// <summary>What the schedule did, printed when it fails.</summary>
    string Trace { get; }
}

/// <summary>What the model tests over <see cref="CrashingFileSystem"/> share: which seeds run, and starting a process that may crash while it opens.</summary>
internal static class ModelSchedules
{
    /// <summary>
    /// Runs the schedule of each seed: OXBOW_MODEL_SEED=N replays that one alone, else seeds 1 to OXBOW_MODEL_SCHEDULES
    /// (default <paramref name="defaultCount"/>). A failure names its seed and prints the schedule's trace. Returns
    /// how many ran, or 0 for a replay (whose coverage is not worth asserting).
    /// </summary>
    public static int Run<TSchedule>(int defaultCount, Func<int, TSchedule> create, Action<TSchedule> ran)
        where TSchedule : IModelSchedule
    {
        var only = Environment.GetEnvironmentVariable("OXBOW_MODEL_SEED") is { Length: > 0 } text ? int.Parse(text, CultureInfo.InvariantCulture) : 0;
        var count = only > 0 ? 1 : int.Parse(Environment.GetEnvironmentVariable("OXBOW_MODEL_SCHEDULES") ?? defaultCount.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        for (var seed = Math.Max(1, only); seed < Math.Max(1, only) + count; seed++)
        {
            var schedule = create(seed);
            try
            {
                schedule.Run();
            }
            catch (Exception ex)
            {
                throw new XunitException($"schedule {seed} failed; replay it with OXBOW_MODEL_SEED={seed}\n{schedule.Trace}\n{ex}");
            }

            ran(schedule);
        }

        return only > 0 ? 0 : count;
    }

    /// <summary>
    /// Runs <paramref name="open"/> until it succeeds, as a service manager restarts a daemon: with
    /// <paramref name="armCrash"/>, one start in four has a crash armed within <paramref name="crashWithin"/>
    /// operations (so recovery itself is crashed); a crash or an injected failure while opening restarts the file
    /// system. Returns how many crashes there were.
    /// </summary>
    public static int Open(CrashingFileSystem fs, Random random, bool armCrash, int crashWithin, Action<string> note, Action open)
    {
        var crashes = 0;
        while (true)
        {
            if (armCrash && random.Next(4) == 0)
            {
                var after = random.Next(1, crashWithin);
                note($"crash armed in {after}, during recovery");
                fs.CrashAfter(after);
            }

            try
            {
                open();
                return crashes;
            }
            catch (Exception ex) when (fs.Crashed)
            {
                note($"crashed while opening: {ex.GetType().Name}");
                crashes++;
                fs.Restart();
            }
            catch (IOException ex) when (ex.HResult is 5 or 28)
            {
                // An injected failure while opening: the daemon would exit and be restarted.
                note($"failed while opening: {ex.Message}");
                fs.Restart();
            }
        }
    }

    /// <summary>Arms a crash at one of the next <paramref name="within"/> operations (exclusive).</summary>
    public static void ArmCrash(CrashingFileSystem fs, Random random, int within, Action<string> note)
    {
        var after = random.Next(1, within);
        note($"crash armed in {after}");
        fs.CrashAfter(after);
    }

    /// <summary>Arms ENOSPC or EIO at one of the next <paramref name="within"/> operations (exclusive).</summary>
    public static void ArmFailure(CrashingFileSystem fs, Random random, int within, Action<string> note)
    {
        var after = random.Next(1, within);
        var errno = random.Next(2) == 0 ? 28 : 5;
        note($"failure {errno} armed in {after}");
        fs.FailAfter(after, errno);
    }
}
