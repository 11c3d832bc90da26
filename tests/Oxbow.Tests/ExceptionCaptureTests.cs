using Oxbow.Testing;

namespace Oxbow.Tests;

[Collection(Support.GlobalState.Name)]
public class ExceptionCaptureTests
{
    private static void Throw() => throw new InvalidOperationException("outer", new ArgumentException("inner cause"));

    [Fact]
    public void An_exception_becomes_type_message_frames_and_inner_chain()
    {
        Exception caught;
        try
        {
            Throw();
            return;
        }
        catch (Exception ex)
        {
            caught = ex;
        }

        var data = ExceptionData.Capture(caught);
        Assert.Equal("System.InvalidOperationException", data["type"]);
        Assert.Equal("outer", data["message"]);
        var frames = Assert.IsType<List<object?>>(data["frames"]).Cast<FieldMap>().ToList();
        Assert.Equal("Oxbow.Tests.ExceptionCaptureTests.Throw", frames[0]["method"]);
        Assert.EndsWith("ExceptionCaptureTests.cs", (string)frames[0]["file"]!);
        Assert.Equal(8L, frames[0]["line"]);
        var inner = Assert.IsType<FieldMap>(Assert.Single(Assert.IsType<List<object?>>(data["inner"])));
        Assert.Equal(("System.ArgumentException", "inner cause"), (inner["type"], inner["message"]));
        Assert.False(inner.ContainsKey("inner"));
    }

    [Fact]
    public void An_aggregate_exception_lists_every_inner_exception()
    {
        var aggregate = new AggregateException("many", new TimeoutException("one"), new IOException("two"));
        var inner = Assert.IsType<List<object?>>(ExceptionData.Capture(aggregate)["inner"]).Cast<FieldMap>();
        Assert.Equal(["System.TimeoutException", "System.IO.IOException"], inner.Select(i => i["type"]));
    }

    [Fact]
    public void A_logged_exception_is_structured_under_the_exception_key()
    {
        using var capture = OxCapture.Start();
        Ox.Log.Error(new TimeoutException("db"), "query_failed", "table", "orders");
        var e = Assert.Single(capture.Events);
        Assert.Equal(OxLevel.Error, e.Level);
        Assert.Equal("orders", e["table"]);
        Assert.Equal("System.TimeoutException", e["exception.type"]);
        Assert.Equal("db", e["exception.message"]);
        Assert.Empty(Assert.IsType<List<object?>>(e["exception.frames"]));
    }
}
