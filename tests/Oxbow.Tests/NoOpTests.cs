using Oxbow.Tests.Support;

namespace Oxbow.Tests;

[Collection(Support.GlobalState.Name)]
public class NoOpTests : OxbowTestBase
{
    [Fact]
    public void Unconfigured_everything_is_a_no_op_that_allocates_nothing_per_log_call()
    {
        Assert.False(Ox.IsConfigured);
        var log = Ox.GetLogger("idle");
        log.Critical("warmup", "n", 1);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            log.Critical("nothing", "n", i, "text", "t");
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.False(Ox.IsEnabled(OxLevel.Critical));
        Assert.Equal(OxbowStats.Empty, Ox.Stats);
        Assert.True(Ox.Flush());
    }

    [Fact]
    public void Unconfigured_contexts_record_nothing_and_never_become_current()
    {
        using (var context = Ox.Context("request"))
        {
            Assert.False(context.Enabled);
            Assert.Null(Ox.Current);
            Ox.Set("a", 1);
            context.Set("b", 2);
            using (Ox.Time("t"))
            {
            }
        }

        Assert.Throws<ArgumentException>(() => Ox.Context("../etc"));
    }
}
