using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Oxbow.Streams;
using Oxbow.Testing;

namespace Oxbow.Tests;

public enum Product
{
    Tax,
    Benefits,
    StatePension,
}

[OxStream("postcode_search")]
public sealed record PostcodeSearch(
    [property: Required, RegularExpression("[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}")] string Postcode,
    Product Product,
    bool CallsDevsApi,
    [property: Range(0, 500)] int? ResultCount = null,
    [property: AllowedValues("web", "app")] string? Channel = null);

[Collection(Support.GlobalState.Name)]
public sealed class TypedStreamTests
{
    [Fact]
    public void A_valid_entry_becomes_one_event_of_its_stream_with_snake_case_fields_and_enum_names()
    {
        using var capture = OxCapture.Start();
        OxStream<PostcodeSearch>.Emit(new PostcodeSearch("SW1A 1AA", Product.StatePension, CallsDevsApi: true, ResultCount: 12));

        var e = capture.Single("postcode_search");
        Assert.Equal("SW1A 1AA", e["postcode"]);
        Assert.Equal("state_pension", e["product"]);
        Assert.Equal(true, e["calls_devs_api"]);
        Assert.Equal(12L, e["result_count"]);
        Assert.False(e.Body.ContainsKey("channel")); // null optional fields are left out
    }

    [Theory]
    [InlineData("sw1a 1aa", null, null, "postcode", "postcode_search.postcode: \"sw1a 1aa\" does not match the pattern [A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}")]
    [InlineData("SW1A 1AA", 501, null, "result_count", "postcode_search.result_count: 501 is outside 0 to 500")]
    [InlineData("SW1A 1AA", null, "fax", "channel", "postcode_search.channel: \"fax\" is not one of web, app")]
    [InlineData("", null, null, "postcode", "postcode_search.postcode: a value is required")]
    public void An_invalid_entry_throws_naming_stream_field_value_and_what_is_allowed_and_sends_nothing(
        string postcode, int? results, string? channel, string field, string message)
    {
        using var capture = OxCapture.Start();
        var error = Assert.Throws<OxStreamValidationException>(() =>
            OxStream<PostcodeSearch>.Emit(new PostcodeSearch(postcode, Product.Tax, false, results, channel)));

        Assert.Equal(message, error.Message);
        Assert.Equal(("postcode_search", field), (error.Stream, error.Field));
        Assert.Empty(capture.Events);
    }

    [Fact]
    public void An_enum_value_that_is_not_a_declared_member_is_refused_with_the_members_listed()
    {
        var error = Assert.Throws<OxStreamValidationException>(() =>
            OxStream<PostcodeSearch>.Validate(new PostcodeSearch("SW1A 1AA", (Product)42, false)));
        Assert.Equal("postcode_search.product: \"42\" is not one of tax, benefits, state_pension", error.Message);
        Assert.Equal("tax, benefits, state_pension", error.Allowed);
    }

    [Fact]
    public void The_exported_JSON_Schema_states_the_same_rules_for_the_collector()
    {
        using var schema = JsonDocument.Parse(OxStream<PostcodeSearch>.JsonSchema());
        var root = schema.RootElement;
        Assert.Equal("postcode_search", root.GetProperty("title").GetString());
        Assert.Equal(["postcode"], root.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        var properties = root.GetProperty("properties");
        Assert.Equal(["postcode", "product", "calls_devs_api", "result_count", "channel"], properties.EnumerateObject().Select(p => p.Name));
        Assert.Equal("^(?:[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})$", properties.GetProperty("postcode").GetProperty("pattern").GetString());
        Assert.Equal(["tax", "benefits", "state_pension"], properties.GetProperty("product").GetProperty("enum").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("boolean", properties.GetProperty("calls_devs_api").GetProperty("type").GetString());
        Assert.Equal(("integer", 0, 500), (properties.GetProperty("result_count").GetProperty("type").GetString(),
            properties.GetProperty("result_count").GetProperty("minimum").GetInt32(), properties.GetProperty("result_count").GetProperty("maximum").GetInt32()));
    }

    [Fact]
    public void Validating_an_entry_after_the_first_does_not_touch_reflection_and_allocates_only_the_event_body()
    {
        var entry = new PostcodeSearch("SW1A 1AA", Product.Tax, true, 3, "web");
        OxStream<PostcodeSearch>.Validate(entry);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            OxStream<PostcodeSearch>.Validate(entry);
        }

        // What is left is the body map and its entries and the boxed values; no attribute or property lookups.
        var perEntry = (GC.GetAllocatedBytesForCurrentThread() - before) / 1000;
        Assert.InRange(perEntry, 1, 1024);
    }

    [Fact]
    public void Field_names_follow_snake_case_including_acronyms()
    {
        Assert.Equal("calls_devs_api", StreamField.SnakeCase("CallsDevsApi"));
        Assert.Equal("http_status", StreamField.SnakeCase("HTTPStatus"));
        Assert.Equal("user_id2", StreamField.SnakeCase("UserId2"));
    }
}
