using Oxbow.Testing;
using Oxbow.Tests.Support;

namespace Oxbow.Tests;

[Collection(Support.GlobalState.Name)]
public class FlowTests : OxbowTestBase
{
    [Fact]
    public async Task Two_hundred_concurrent_async_flows_never_see_each_others_contexts()
    {
        var sink = Configure();
        var flows = Enumerable.Range(0, 200).Select(async n =>
        {
            await Task.Yield();
            using (Ox.Context("request"))
            {
                Ox.Set("flow", n);
                await Task.Delay(1);
                await Task.Run(() => Ox.Append("seen", n));
                await Task.Yield();
                ThreadPool.QueueUserWorkItem(_ => { }, null);
                using (Ox.Context(".db"))
                {
                    await Task.Delay(1);
                    Ox.Set("flow", n);
                }

                Ox.Append("seen", n);
            }
        });
        await Task.WhenAll(flows);
        Ox.Flush();

        var events = sink.Events;
        Assert.Equal(400, events.Count);
        foreach (var group in events.GroupBy(e => e.Id))
        {
            var request = Assert.Single(group, e => e.Type == "request");
            var db = Assert.Single(group, e => e.Type == "request.db");
            var n = (long)request["flow"]!;
            Assert.Equal(n, db["flow"]);
            Assert.Equal([n, n], (List<object?>)request["seen"]!);
        }

        Assert.Equal(200, events.Select(e => e["flow"]).Distinct().Count());
    }

    [Fact]
    public async Task A_context_opened_in_a_child_flow_never_leaks_into_the_parent()
    {
        using var capture = OxCapture.Start();
        using var request = Ox.Context("request");
        await Task.Run(() =>
        {
            var child = Ox.Context(".background");
            Assert.Same(child, Ox.Current);

            // Deliberately left open: the parent flow must still not see it.
        });
        Assert.Same(request, Ox.Current);

        await ChildAsync();
        Assert.Same(request, Ox.Current);

        static async Task ChildAsync()
        {
            Ox.Context(".async_child");
            await Task.Yield();
        }
    }

    [Fact]
    public async Task The_current_context_follows_await_task_run_and_thread_pool_hops()
    {
        using var capture = OxCapture.Start();
        using var request = Ox.Context("request");
        await Task.Delay(1);
        Assert.Same(request, Ox.Current);
        Assert.Same(request, await Task.Run(() => Ox.Current));
        var fromPool = new TaskCompletionSource<OxContext?>();
        ThreadPool.QueueUserWorkItem(_ => fromPool.SetResult(Ox.Current));
        Assert.Same(request, await fromPool.Task);
    }
}
