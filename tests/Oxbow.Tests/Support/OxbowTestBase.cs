namespace Oxbow.Tests.Support;

/// <summary>Leaves Oxbow unconfigured after every test.</summary>
public abstract class OxbowTestBase : IDisposable
{
    protected OxbowTestBase() => Ox.Shutdown();

    protected ManualTimeProvider Clock { get; } = new();

    /// <summary>Configures Oxbow with a memory sink, a manual clock, app "test" and host "h".</summary>
    protected MemorySink Configure(Action<OxbowOptions>? more = null)
    {
        var sink = new MemorySink();
        Ox.Configure(o =>
        {
            o.App = "test";
            o.Host = "h";
            o.MinimumLevel = OxLevel.Debug;
            o.TimeProvider = Clock;
            o.Sinks.Clear();
            o.Processors.Clear();
            o.WriteTo(sink);
            more?.Invoke(o);
        });
        return sink;
    }

    protected static void WaitUntil(Func<bool> condition, string what)
    {
        Assert.True(SpinWait.SpinUntil(condition, TimeSpan.FromSeconds(20)), $"timed out waiting until {what}");
    }

    public virtual void Dispose()
    {
        Ox.Shutdown();
        GC.SuppressFinalize(this);
    }
}
