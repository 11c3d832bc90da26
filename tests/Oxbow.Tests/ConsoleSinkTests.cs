using System.Text;
using Oxbow.Rendering;
using Oxbow.Sinks;

namespace Oxbow.Tests;

[Collection(Support.GlobalState.Name)]
public class ConsoleSinkTests
{
    private static EventBatch BatchOf(params OxbowEvent[] events) =>
        new(Encoding.UTF8.GetBytes(string.Concat(events.Select(e => e + "\n"))), events.Length);

    [Fact]
    public void The_json_format_passes_the_canonical_bytes_through_unchanged()
    {
        using var output = new MemoryStream();
        var e = EventModelTests.SampleEvent();
        using (var sink = new ConsoleSink(new JsonRenderer(), output))
        {
            sink.Emit(BatchOf(e, e));
        }

        Assert.Equal(e + "\n" + e + "\n", Encoding.UTF8.GetString(output.ToArray()));
    }

    [Fact]
    public void Other_formats_render_each_event_of_the_batch()
    {
        using var output = new MemoryStream();
        using (var sink = new ConsoleSink(new LogfmtRenderer(), output))
        {
            sink.Emit(BatchOf(EventModelTests.SampleEvent()));
        }

        Assert.Equal(new LogfmtRenderer().RenderToString(EventModelTests.SampleEvent()), Encoding.UTF8.GetString(output.ToArray()));
    }
}
