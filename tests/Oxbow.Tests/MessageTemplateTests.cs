using System.Text.RegularExpressions;
using Oxbow.Testing;
using Oxbow.Tests.Support;

namespace Oxbow.Tests;

[Collection(Support.GlobalState.Name)]
public class MessageTemplateTests : OxbowTestBase
{
    private static string Body(string line) => Regex.Match(line, "\"body\":(.*)}$").Groups[1].Value;

    [Fact]
    public void An_interpolated_string_writes_its_message_its_template_and_each_hole_as_a_typed_field()
    {
        Configure();
        using var capture = OxCapture.Start();
        var orderId = 42;
        var country = "NL";
        var total = 19.5;
        Ox.Log.Info($"Order {orderId} shipped to {country} for {total}");
        Assert.Equal(
            """{"event":"Order {orderId} shipped to {country} for {total}","template":"Order {orderId} shipped to {country} for {total}","message":"Order 42 shipped to NL for 19.5","orderId":42,"country":"NL","total":19.5}""",
            Body(Assert.Single(capture.Lines)));
    }

    [Fact]
    public void A_disabled_level_evaluates_no_hole_and_allocates_nothing()
    {
        Configure(o => o.MinimumLevel = OxLevel.Info);
        var evaluated = 0;
        int Count() => ++evaluated;
        var log = Ox.GetLogger("quiet");
        log.Debug($"warm {Count()}");
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            log.Debug($"never {Count()} or {i}");
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(0, evaluated);
    }

    [Fact]
    public void A_hole_is_named_by_its_expression_or_by_an_at_format_and_a_call_is_named_by_position()
    {
        Configure();
        using var capture = OxCapture.Start();
        var cart = new { Items = 3 };
        var price = 2.5m;
        Ox.Log.Info($"{cart.Items} items at {price:@unit_price:0.00} cost {Total(price, cart.Items):@total} ({Total(1, 1)})");
        var e = Assert.Single(capture.Events);
        Assert.Equal("3 items at 2.50 cost 7.5 (1)", e["message"]);
        Assert.Equal("{cart.Items} items at {unit_price:0.00} cost {total} ({arg3})", e["template"]);
        Assert.Equal(3L, ((FieldMap)e["cart"]!)["Items"]);
        Assert.Equal(2.5, e["unit_price"]);
        Assert.Equal(7.5, e["total"]);
        Assert.Equal(1L, e["arg3"]);

        static decimal Total(decimal price, int count) => price * count;
    }

    [Fact]
    public void Literal_braces_are_doubled_in_the_template_and_alignment_pads_the_message()
    {
        Configure();
        using var capture = OxCapture.Start();
        var code = "E1";
        Ox.Log.Warning($"{{json}} [{code,4}] [{code,-4}]");
        var e = Assert.Single(capture.Events);
        Assert.Equal("{json} [  E1] [E1  ]", e["message"]);
        Assert.Equal("{{json}} [{code,4}] [{code,-4}]", e["template"]);
        Assert.Equal("E1", e["code"]);
    }

    [Fact]
    public void A_secret_hole_is_redacted_in_the_field_and_in_the_message()
    {
        Configure();
        using var capture = OxCapture.Start();
        var password = "hunter2";
        Ox.Log.Info($"login with {password}");
        var line = Assert.Single(capture.Lines);
        Assert.DoesNotContain("hunter2", line, StringComparison.Ordinal);
        Assert.Contains("\"message\":\"login with [redacted]\",\"password\":\"[redacted]\"", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_positional_template_binds_arguments_in_order_of_first_appearance()
    {
        Configure();
        using var capture = OxCapture.Start();
        Ox.Log.Write(OxLevel.Info, "Order {OrderId} shipped to {Country}; {OrderId} again, {$When}", 42, "NL", new DateOnly(2026, 12, 4));
        Assert.Equal(
            """{"event":"Order {OrderId} shipped to {Country}; {OrderId} again, {$When}","template":"Order {OrderId} shipped to {Country}; {OrderId} again, {$When}","message":"Order 42 shipped to NL; 42 again, 2026-12-04","OrderId":42,"Country":"NL","When":"2026-12-04"}""",
            Body(Assert.Single(capture.Lines)));
    }

    [Fact]
    public void Numeric_holes_bind_by_number_and_a_hole_without_an_argument_stays_as_written()
    {
        Configure();
        using var capture = OxCapture.Start();
        Ox.Log.Write(OxLevel.Info, "{1} before {0}, then {2} and {{literal}}", "a", "b");
        var e = Assert.Single(capture.Events);
        Assert.Equal("b before a, then {2} and {literal}", e["message"]);
        Assert.Equal("a", e["0"]);
        Assert.Equal("b", e["1"]);
        Assert.False(e.Body.ContainsKey("2"));
    }

    [Fact]
    public void An_object_in_a_template_is_captured_as_a_nested_object()
    {
        Configure();
        using var capture = OxCapture.Start();
        Ox.Log.Write(OxLevel.Info, "Placed {@Order}", new { Id = 7, Lines = new[] { "a", "b" } });
        var order = Assert.IsType<FieldMap>(Assert.Single(capture.Events)["Order"]);
        Assert.Equal(7L, order["Id"]);
        Assert.Equal(["a", "b"], (List<object?>)order["Lines"]!);
    }

    [Fact]
    public void A_message_with_an_exception_or_processors_writes_the_same_fields_as_the_fast_path()
    {
        Configure();
        using var capture = OxCapture.Start();
        var id = 5;
        Ox.Log.Error($"failed {id}");
        Ox.Log.Error(new InvalidOperationException("boom"), $"failed {id}");
        Configure(o => o.Enrich(_ => { }));
        Ox.Log.Error($"failed {id}");

        Assert.Equal(3, capture.Lines.Count);
        var expected = """{"event":"failed {id}","template":"failed {id}","message":"failed 5","id":5}""";
        Assert.Equal(expected, Body(capture.Lines[0]));
        Assert.Equal(expected, Body(capture.Lines[2]));
        var withException = capture.Events[1];
        Assert.Equal("failed 5", withException["message"]);
        Assert.Equal(5L, withException["id"]);
        Assert.Equal("boom", ((FieldMap)withException["exception"]!)["message"]);
    }

    [Fact]
    public void A_hole_whose_expression_logs_keeps_both_messages_intact()
    {
        Configure();
        using var capture = OxCapture.Start();
        static string Inner()
        {
            Ox.Log.Info($"inner {1}");
            return "x";
        }

        Ox.Log.Info($"outer {Inner():@value} end");
        Assert.Equal(["inner 1", "outer x end"], capture.Events.Select(e => e["message"]));
    }

    [Fact]
    public void Bound_fields_are_added_unless_a_hole_has_the_same_name()
    {
        Configure();
        using var capture = OxCapture.Start();
        var region = "us";
        Ox.Log.Bind("region", "eu").Bind("tenant", 7).Info($"in {region}");
        Assert.Equal(
            """{"event":"in {region}","template":"in {region}","message":"in us","region":"us","tenant":7}""",
            Body(Assert.Single(capture.Lines)));
    }
}
