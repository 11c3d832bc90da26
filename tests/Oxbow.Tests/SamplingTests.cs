using Oxbow.Tests.Support;

namespace Oxbow.Tests;

[Collection(Support.GlobalState.Name)]
public class SamplingTests : OxbowTestBase
{
    private const int Trials = 1000;

    private MemorySink ConfigureSeeded()
    {
        var random = new Random(20261122);
        var gate = new object();
        return Configure(o => o.SampleSource = () =>
        {
            lock (gate)
            {
                return random.NextDouble();
            }
        });
    }

    [Fact]
    public void A_self_sampled_context_is_kept_at_its_rate()
    {
        var sink = ConfigureSeeded();
        for (var i = 0; i < Trials; i++)
        {
            using (Ox.Context("job", sample: Sampling.Self(0.3)))
            {
                Ox.Set("i", i);
            }
        }

        Ox.Flush();
        Assert.InRange(sink.Lines.Count, 240, 360);
    }

    [Fact]
    public void A_parent_decides_once_per_child_name_so_children_are_all_in_or_all_out()
    {
        var sink = ConfigureSeeded();
        for (var i = 0; i < Trials; i++)
        {
            using (Ox.Context("request"))
            {
                Ox.Set("i", i);
                for (var call = 0; call < 3; call++)
                {
                    using (Ox.Context(".memcache", sample: Sampling.Of("..", 0.25)))
                    {
                        Ox.Set("call", call);
                    }
                }
            }
        }

        Ox.Flush();
        var childrenPerRequest = sink.Events.GroupBy(e => e.Id).Select(g => g.Count(e => e.Type == "request.memcache")).ToList();
        Assert.Equal(Trials, childrenPerRequest.Count);
        Assert.All(childrenPerRequest, n => Assert.True(n is 0 or 3, $"a request had {n} of 3 children"));
        Assert.InRange(childrenPerRequest.Count(n => n == 3), 180, 320);
    }

    [Fact]
    public void The_outermost_context_decides_for_a_caret_rule()
    {
        var sink = ConfigureSeeded();
        for (var i = 0; i < Trials; i++)
        {
            using (Ox.Context("request"))
            using (Ox.Context(".api"))
            {
                using (Ox.Context(".db", sample: Sampling.Top(0.5)))
                {
                }

                using (Ox.Context(".db", sample: Sampling.Top(0.5)))
                {
                }
            }
        }

        Ox.Flush();
        var perRequest = sink.Events.GroupBy(e => e.Id).Select(g => g.Count(e => e.Type == "request.api.db")).ToList();
        Assert.All(perRequest, n => Assert.True(n is 0 or 2));
        Assert.InRange(perRequest.Count(n => n == 2), 420, 580);
    }

    [Fact]
    public void A_named_context_decides_for_its_descendants()
    {
        var sink = ConfigureSeeded();
        for (var i = 0; i < Trials; i++)
        {
            using (Ox.Context("request"))
            using (Ox.Context(".api"))
            using (Ox.Context(".db", sample: Sampling.Named("request", 0.1)))
            {
            }
        }

        Ox.Flush();
        Assert.InRange(sink.Events.Count(e => e.Type == "request.api.db"), 60, 140);
        Assert.Equal(Trials, sink.Events.Count(e => e.Type == "request"));
    }

    [Fact]
    public void A_disabled_parent_disables_every_descendant()
    {
        var sink = ConfigureSeeded();
        for (var i = 0; i < 50; i++)
        {
            using (var request = Ox.Context("request", sample: Sampling.Self(0)))
            {
                Assert.False(request.Enabled);
                Ox.Set("ignored", true);
                using (var db = Ox.Context(".db"))
                using (var deeper = Ox.Context("^.cache", sample: Sampling.Self(1)))
                {
                    Assert.False(db.Enabled);
                    Assert.False(deeper.Enabled);
                }
            }
        }

        Ox.Flush();
        Assert.Empty(sink.Lines);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void A_rate_outside_zero_to_one_is_rejected(double rate) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Sampling.Self(rate));
}
