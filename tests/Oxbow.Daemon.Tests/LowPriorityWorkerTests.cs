using Oxbow.Store.Partitions;

namespace Oxbow.Daemon.Tests;

public sealed class LowPriorityWorkerTests
{
    /// <summary>Field 19 of /proc/thread-self/stat is the calling thread's nice value.</summary>
    private static int NiceOfThisThread()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Work_runs_in_order_on_a_thread_at_nice_19_and_the_callers_thread_keeps_its_priority()
    {
        var callerNice = NiceOfThisThread();
        using var worker = new LowPriorityWorker("test-low");
        List<(int Step, int Nice)> seen = [];
        await Task.WhenAll(Enumerable.Range(1, 3).Select(step => worker.Run(() => seen.Add((step, NiceOfThisThread())))));

        Assert.Equal([(1, 19), (2, 19), (3, 19)], seen);
        Assert.True(worker.Lowered);
        Assert.Equal(callerNice, NiceOfThisThread());
    }

    [Fact]
    public async Task Work_that_throws_faults_its_own_task_and_the_worker_goes_on()
    {
        using var worker = new LowPriorityWorker("test-low");
        var failing = worker.Run(() => throw new IOException("disk full"));
        var ran = false;
        await worker.Run(() => ran = true);

        var error = await Assert.ThrowsAsync<IOException>(() => failing);
        Assert.Equal("disk full", error.Message);
        Assert.True(ran);
    }
}
