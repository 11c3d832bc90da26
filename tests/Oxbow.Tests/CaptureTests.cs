using Oxbow.Testing;
using Oxbow.Tests.Support;

namespace Oxbow.Tests;

[Collection(Support.GlobalState.Name)]
public class CaptureTests : OxbowTestBase
{
    [Fact]
    public void A_capture_sees_events_from_a_logger_created_before_it_started()
    {
        var early = Ox.GetLogger("early").Bind("tenant", 3);
        using var capture = OxCapture.Start();
        early.Info("hello");
        var e = Assert.Single(capture.Events);
        Assert.Equal(("hello", "early", 3L), (e["event"], e["logger"], e["tenant"]));
    }

    [Fact]
    public async Task Concurrent_captures_only_see_their_own_flow()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(n => Task.Run(async () =>
        {
            using var capture = OxCapture.Start();
            await Task.Yield();
            Ox.Log.Info("work", "n", n);
            await Task.Delay(1);
            return capture.Events.Select(e => (long)e["n"]!).ToArray();
        })));

        for (var n = 0; n < results.Length; n++)
        {
            Assert.Equal([(long)n], results[n]);
        }
    }

    [Fact]
    public void A_capture_honours_its_minimum_level_and_clear_forgets()
    {
        using var capture = OxCapture.Start(OxLevel.Warning);
        Ox.Log.Info("ignored");
        Ox.Log.Warning("kept");
        Assert.Equal(["kept"], capture.Events.Select(e => e["event"]));
        capture.Clear();
        Assert.Empty(capture.Lines);
    }

    [Fact]
    public void Single_names_what_was_captured_when_the_type_is_missing()
    {
        using var capture = OxCapture.Start();
        Ox.Log.Info("one");
        var error = Assert.Throws<InvalidOperationException>(() => capture.Single("request"));
        Assert.Equal("Expected one 'request' event but captured 0: [log].", error.Message);
    }

    [Fact]
    public void After_a_capture_ends_unconfigured_oxbow_is_a_no_op_again()
    {
        using (OxCapture.Start())
        {
            Assert.True(Ox.IsEnabled(OxLevel.Debug));
        }

        Assert.False(Ox.IsEnabled(OxLevel.Critical));
    }
}
