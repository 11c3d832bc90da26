using Oxbow.Rendering;

namespace Oxbow.Tests;

[Collection(Support.GlobalState.Name)]
public class RendererTests
{
    private static OxbowEvent LogEvent()
    {
        var at = new DateTime(2026, 11, 22, 3, 39, 0, DateTimeKind.Utc).AddTicks(1_234_560);
        var e = new OxbowEvent { Id = "000660d5aaaaaaaa0123456789abcdef", Type = "log", Start = at, End = at, Level = OxLevel.Warning, Host = "web1", Pid = 42, App = "shop" };
        e.Body.Set("event", "user_logged_in");
        e.Body.Set("user", "bob");
        e.Body.Set("attempts", 3);
        return e;
    }

    [Fact]
    public void The_json_renderer_writes_the_canonical_line()
    {
        var e = EventModelTests.SampleEvent();
        Assert.Equal(e + "\n", new JsonRenderer().RenderToString(e));
    }

    [Fact]
    public void The_console_renderer_aligns_level_and_label_and_sorts_flattened_fields()
    {
        Assert.Equal(
            "2026-11-22T03:39:00.250000Z [info    ] request                        duration=0.25 method=GET note=\"two words\" response.status=200 tags=[\"a\",\"b\"] id=89abcdef\n",
            new ConsoleRenderer(colors: false).RenderToString(EventModelTests.SampleEvent()));
        Assert.Equal(
            "2026-11-22T03:39:00.123456Z [warning ] user_logged_in                 attempts=3 user=bob\n",
            new ConsoleRenderer(colors: false).RenderToString(LogEvent()));
    }

    [Fact]
    public void The_console_renderer_shows_a_sub_event_log_with_its_type_and_short_id()
    {
        var e = LogEvent();
        e.Type = "request.log";
        Assert.Equal(
            "2026-11-22T03:39:00.123456Z [warning ] user_logged_in                 attempts=3 user=bob type=request.log id=89abcdef\n",
            new ConsoleRenderer(colors: false).RenderToString(e));
    }

    [Fact]
    public void The_console_renderer_colours_when_asked()
    {
        Assert.Equal(
            "\u001b[2m2026-11-22T03:39:00.123456Z\u001b[0m [\u001b[33mwarning \u001b[0m] \u001b[1muser_logged_in                \u001b[0m \u001b[36mattempts\u001b[0m=\u001b[35m3\u001b[0m \u001b[36muser\u001b[0m=\u001b[35mbob\u001b[0m\n",
            new ConsoleRenderer(colors: true).RenderToString(LogEvent()));
    }

    [Fact]
    public void The_console_renderer_prints_exceptions_readably_after_the_line()
    {
        var e = LogEvent();
        var inner = new FieldMap();
        inner.SetRaw("type", "System.IO.IOException");
        inner.SetRaw("message", "disk");
        inner.SetRaw("frames", new List<object?>());
        var frame = new FieldMap();
        frame.SetRaw("method", "Shop.Db.Save");
        frame.SetRaw("file", "/src/Db.cs");
        frame.SetRaw("line", 12L);
        var exception = new FieldMap();
        exception.SetRaw("type", "System.InvalidOperationException");
        exception.SetRaw("message", "save failed");
        exception.SetRaw("frames", new List<object?> { frame });
        exception.SetRaw("inner", new List<object?> { inner });
        e.Body.SetRaw("exception", exception);
        Assert.Equal(
            "2026-11-22T03:39:00.123456Z [warning ] user_logged_in                 attempts=3 user=bob\n" +
            "System.InvalidOperationException: save failed\n" +
            "   at Shop.Db.Save in /src/Db.cs:line 12\n" +
            " ---> System.IO.IOException: disk\n",
            new ConsoleRenderer(colors: false).RenderToString(e));
    }

    [Theory]
    [InlineData(null, null, true, true)]
    [InlineData(null, null, false, false)]
    [InlineData("1", null, true, false)]
    [InlineData(null, "1", false, true)]
    [InlineData("1", "1", false, false)]
    [InlineData("", null, true, true)]
    [InlineData(null, "0", false, false)]
    public void Colour_honours_no_color_and_force_color(string? noColor, string? forceColor, bool terminal, bool expected)
    {
        var environment = new Dictionary<string, string?> { ["NO_COLOR"] = noColor, ["FORCE_COLOR"] = forceColor };
        Assert.Equal(expected, ColorSupport.Detect(name => environment.GetValueOrDefault(name), terminal));
    }

    [Fact]
    public void The_logfmt_renderer_keeps_insertion_order_and_quotes_only_when_needed()
    {
        Assert.Equal(
            "time=2026-11-22T03:39:00.250000Z level=info type=request id=0123456789abcdef0123456789abcdef duration=0.25 method=GET response.status=200 tags=\"[\\\"a\\\",\\\"b\\\"]\" note=\"two words\"\n",
            new LogfmtRenderer().RenderToString(EventModelTests.SampleEvent()));
        var e = LogEvent();
        e.Body.Set("empty", "");
        e.Body.Set("eq", "a=b");
        e.Body.Set("multi", "line1\nline2");
        Assert.Equal(
            "time=2026-11-22T03:39:00.123456Z level=warning type=log id=000660d5aaaaaaaa0123456789abcdef event=user_logged_in user=bob attempts=3 empty=\"\" eq=\"a=b\" multi=\"line1\\nline2\"\n",
            new LogfmtRenderer().RenderToString(e));
    }

    [Fact]
    public void The_cee_renderer_writes_the_cee_fields_first_with_microseconds_and_offset()
    {
        Assert.Equal(
            "@cee: {\"time\":\"2026-11-22T03:39:00.123456+00:00\",\"p_proc\":\"shop\",\"pname\":\"shop\",\"p_sys\":\"web1\",\"host\":\"web1\",\"pid\":42,\"pri\":12,\"msg\":\"user_logged_in\",\"level\":\"warning\",\"id\":\"000660d5aaaaaaaa0123456789abcdef\",\"type\":\"log\",\"user\":\"bob\",\"attempts\":3}\n",
            new CeeRenderer().RenderToString(LogEvent()));
    }

    [Fact]
    public void The_cee_renderer_uses_the_event_type_as_msg_and_renames_colliding_fields()
    {
        var e = EventModelTests.SampleEvent();
        e.Body.Set("host", "backend-3");
        Assert.Equal(
            "@cee: {\"time\":\"2026-11-22T03:39:00.250000+00:00\",\"p_proc\":\"shop\",\"pname\":\"shop\",\"p_sys\":\"web1\",\"host\":\"web1\",\"pid\":42,\"pri\":14,\"msg\":\"request\",\"level\":\"info\",\"id\":\"0123456789abcdef0123456789abcdef\",\"type\":\"request\",\"duration\":0.25,\"method\":\"GET\",\"response\":{\"status\":200},\"tags\":[\"a\",\"b\"],\"note\":\"two words\",\"field_host\":\"backend-3\"}\n",
            new CeeRenderer().RenderToString(e));
    }

    [Fact]
    public void The_cee_renderer_writes_local_time_with_the_zone_offset_and_the_facility_in_pri()
    {
        var zone = TimeZoneInfo.CreateCustomTimeZone("plus-two", TimeSpan.FromHours(2), "plus-two", "plus-two");
        var line = new CeeRenderer(facility: 16, timeZone: zone).RenderToString(LogEvent());
        Assert.StartsWith("@cee: {\"time\":\"2026-11-22T05:39:00.123456+02:00\"", line);
        Assert.Contains("\"pri\":132,", line);
    }
}
