using Oxbow.Testing;
using Oxbow.Tests.Support;

namespace Oxbow.Tests;

[Collection(Support.GlobalState.Name)]
public class ContextDataTests : OxbowTestBase
{
    [Fact]
    public void The_blueox_example_emits_one_event_with_everything_set()
    {
        Configure();
        using var capture = OxCapture.Start();
        using (Ox.Context("request"))
        {
            Ox.Set("user_agent", "curl/8");
            using (Ox.Time("request_time"))
            {
                Clock.Advance(TimeSpan.FromMilliseconds(1500));
            }

            Ox.Set("response.status", 200);
            Ox.Set("response.size", 512);
        }

        var e = Assert.Single(capture.Events);
        Assert.Equal("request", e.Type);
        Assert.Equal("""{"user_agent":"curl/8","request_time":1.5,"response":{"status":200,"size":512}}""", BodyJson(capture.Lines[0]));
        Assert.Equal("2026-11-22T03:39:00.123456Z", Timestamps.Format(e.Start));
        Assert.Equal("2026-11-22T03:39:01.623456Z", Timestamps.Format(e.End));
        Assert.Equal(("h", "test"), (e.Host, e.App));
        Assert.Equal(Environment.ProcessId, e.Pid);
    }

    internal static string BodyJson(string line) => line[(line.IndexOf("\"body\":", StringComparison.Ordinal) + 7)..^1];

    [Fact]
    public void Set_with_several_values_makes_an_array_and_append_and_add_accumulate()
    {
        using var capture = OxCapture.Start();
        using (Ox.Context("job"))
        {
            Ox.Set("tags", "a", "b", "c");
            Ox.Append("steps", "load");
            Ox.Append("steps", "save");
            Ox.Add("db.calls");
            Ox.Add("db.calls");
            Ox.Add("db.calls", 3);
        }

        Assert.Equal("""{"tags":["a","b","c"],"steps":["load","save"],"db":{"calls":5}}""", BodyJson(capture.Lines[0]));
    }

    [Fact]
    public void Data_operations_without_an_open_context_do_nothing_and_do_not_throw()
    {
        using var capture = OxCapture.Start();
        Ox.Set("a", 1);
        Ox.Set("b", 1, 2);
        Ox.Append("c", 1);
        Ox.Add("d");
        using (Ox.Time("t"))
        {
        }

        Assert.Empty(capture.Events);
    }

    [Fact]
    public void Using_an_ended_context_throws_and_ending_it_twice_emits_once()
    {
        using var capture = OxCapture.Start();
        var context = Ox.Context("request");
        context.Set("a", 1);
        context.Dispose();
        context.Dispose();

        var error = Assert.Throws<InvalidOperationException>(() => context.Set("b", 2));
        Assert.Contains("Context 'request'", error.Message);
        Assert.Contains("has ended", error.Message);
        Assert.Throws<InvalidOperationException>(() => context.Add("c"));
        Assert.Throws<InvalidOperationException>(() => context.Time("d"));
        Assert.Single(capture.Events);
        Assert.Null(Ox.Current);
    }

    [Fact]
    public void An_exception_leaving_the_block_still_emits_the_event_with_the_exception_recorded()
    {
        using var capture = OxCapture.Start();
        Assert.Throws<InvalidOperationException>(() =>
        {
            using (Ox.Context("request"))
            {
                Ox.Set("user", "bob");
                Fail();
            }
        });

        var e = capture.Single("request");
        Assert.Equal(OxLevel.Error, e.Level);
        Assert.Equal("bob", e["user"]);
        Assert.Equal("System.InvalidOperationException", e["exception.type"]);
        Assert.Equal("card declined", e["exception.message"]);
        var frame = Assert.IsType<FieldMap>(Assert.IsType<List<object?>>(e["exception.frames"])[0]);
        Assert.Equal("Oxbow.Tests.ContextDataTests.Fail", frame["method"]);
    }

    [Fact]
    public async Task An_exception_leaving_an_async_block_is_recorded_too()
    {
        using var capture = OxCapture.Start();
        await Assert.ThrowsAsync<TimeoutException>(async () =>
        {
            using (Ox.Context("request"))
            {
                await Task.Yield();
                throw new TimeoutException("upstream slow");
            }
        });

        Assert.Equal("upstream slow", capture.Single("request")["exception.message"]);
    }

    [Fact]
    public void An_exception_caught_inside_the_block_is_not_recorded()
    {
        using var capture = OxCapture.Start();
        using (Ox.Context("request"))
        {
            try
            {
                Fail();
            }
            catch (InvalidOperationException)
            {
            }
        }

        var e = capture.Single("request");
        Assert.Equal(OxLevel.Info, e.Level);
        Assert.False(e.Body.ContainsKey("exception"));
    }

    [Fact]
    public void Fail_records_a_handled_exception_explicitly()
    {
        using var capture = OxCapture.Start();
        using (var context = Ox.Context("request"))
        {
            context.Fail(new ArgumentException("bad input"));
        }

        Assert.Equal("bad input", capture.Single("request")["exception.message"]);
        Assert.Equal(OxLevel.Error, capture.Single("request").Level);
    }

    private static void Fail() => throw new InvalidOperationException("card declined");
}
