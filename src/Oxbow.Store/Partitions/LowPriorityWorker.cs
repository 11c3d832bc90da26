using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Oxbow.Store.Partitions;

/// <summary>
/// One dedicated thread, at the lowest CPU priority the OS gives (nice 19 on Linux), that runs queued work in order.
/// For work that must happen but never ahead of acknowledging events: sealing (gzip) partition files. When the
/// machine has CPU to spare it runs at full speed; when ingest needs every core it waits, so compression falls behind
/// instead of ingest.
/// </summary>
internal sealed partial class LowPriorityWorker : IDisposable
{
    private readonly BlockingCollection<(Action Work, TaskCompletionSource Done)> _queue = [];
    private readonly Thread _thread;

    public LowPriorityWorker(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Whether the thread's priority was lowered (false where the OS call is not available).</summary>
    public bool Lowered { get; private set; }

    /// <summary>Queues work; the task completes when it has run, faulted with whatever it threw.</summary>
    public Task Run(Action work)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Add((work, done));
        return done.Task;
    }

    /// <summary>Runs what is queued, then ends the thread.</summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
        _thread.Join();
        _queue.Dispose();
    }

    private void Run()
    {
        Lowered = LowerOwnPriority();
        foreach (var (work, done) in _queue.GetConsumingEnumerable())
        {
            try
            {
                work();
                done.TrySetResult();
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        }
    }

    /// <summary>
    /// Linux keeps a nice value per thread: setpriority(PRIO_PROCESS, tid) changes only the calling thread, and
    /// lowering one's own priority needs no privilege. .NET's Thread.Priority does nothing on Linux.
    /// </summary>
    private static bool LowerOwnPriority()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return SetPriority(PrioProcess, GetThreadId(), 19) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    private const int PrioProcess = 0;

    [LibraryImport("libc", EntryPoint = "setpriority")]
    private static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();
}
