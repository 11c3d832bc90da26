using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Text;
using System.Text.Json;
using Oxbow.Codec;
using Oxbow.Daemon.Tests.Support;
using Oxbow.Streams;
using Oxbow.Transport;

namespace Oxbow.Daemon.Tests;

public enum SearchProduct
{
    Tax,
    Benefits,
}

[OxStream("postcode_search")]
public sealed record PostcodeSearchEntry(
    [property: Required, RegularExpression("[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}")] string Postcode,
    SearchProduct Product,
    [property: Range(0, 500)] int? ResultCount = null);

/// <summary>A collector that checks typed streams against the JSON Schema exported from their C# type.</summary>
public sealed class SchemaTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private static StringContent Ndjson(string text) => new(text, Encoding.UTF8, "application/x-ndjson");

    private static byte[] Canonical(params (string Postcode, string Product)[] entries) => Encoding.UTF8.GetBytes(string.Concat(entries.Select(entry =>
    {
        var e = new OxbowEvent { Id = OxId.NewId(), Type = "postcode_search", Start = DateTime.UtcNow, End = DateTime.UtcNow, Host = "web-1", App = "shop" };
        e.Start = e.End = Timestamps.TruncateToMicroseconds(e.End);
        e.Body.Set("postcode", entry.Postcode);
        e.Body.Set("product", entry.Product);
        return CanonicalJson.ToJson(e) + "\n";
    })));

    [Fact]
    public async Task An_event_that_fails_its_schema_goes_to_the_dead_letter_stream_with_the_reason_and_is_counted()
    {
        var schemas = _dir.Sub("schemas");
        OxStream<PostcodeSearchEntry>.WriteSchemaFile(schemas);
        await using var collector = new DaemonProcess(_dir.Sub("data"), "--schemas", schemas);
        await collector.StartAsync();

        await using var sender = new BatchSender(new BatchSenderOptions { Endpoints = [collector.Ingest] });
        var result = await sender.SendAsync(new OutgoingBatch(BatchId.New(), 3,
            Canonical(("SW1A 1AA", "tax"), ("SW1A 1AA", "boats"), ("EC1A 1BB", "benefits"))));
        Assert.True(result.Acknowledged);
        await collector.WaitForStatAsync(2, "types", "postcode_search", "events");
        await collector.WaitForStatAsync(1, "types", "dead_letter", "events");
        await collector.WaitForStatAsync(1, "counters", "schema_invalid");

        var stored = await StoredEvents.StoredAsync(collector.DataDirectory, 3, () => collector.Output);
        Assert.Equal(3, stored.Count);
        Assert.Equal(["EC1A 1BB", "SW1A 1AA"], stored.Where(e => e.GetProperty("type").GetString() == "postcode_search")
            .Select(e => e.GetProperty("body").GetProperty("postcode").GetString()).Order());
        var dead = Assert.Single(stored, e => e.GetProperty("type").GetString() == "dead_letter");
        var body = dead.GetProperty("body");
        Assert.Equal("postcode_search", body.GetProperty("stream").GetString());
        Assert.Equal("product", body.GetProperty("field").GetString());
        Assert.Equal("postcode_search.product: \"boats\" is not one of \"tax\", \"benefits\"", body.GetProperty("reason").GetString());
        Assert.Equal("boats", body.GetProperty("body").GetProperty("product").GetString());
        Assert.True(Directory.Exists(Path.Combine(collector.DataDirectory, "type=dead_letter")));
    }

    [Fact]
    public async Task Http_ingest_answers_400_naming_the_line_and_field_and_stores_nothing_of_that_request()
    {
        var schemas = _dir.Sub("schemas");
        OxStream<PostcodeSearchEntry>.WriteSchemaFile(schemas);
        await using var collector = new DaemonProcess(_dir.Sub("data"), "--schemas", schemas);
        await collector.StartAsync();

        using var bad = await collector.Http.PostAsync("v1/events", Ndjson(
            "{\"type\":\"postcode_search\",\"postcode\":\"SW1A 1AA\",\"product\":\"tax\"}\n" +
            "{\"type\":\"postcode_search\",\"postcode\":\"sw1a\",\"product\":\"tax\"}\n"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("line 2: postcode_search.postcode: \"sw1a\" does not match the pattern ^(?:[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})$", await ErrorAsync(bad));

        using var missing = await collector.Http.PostAsync("v1/events", Ndjson("{\"type\":\"postcode_search\",\"product\":\"tax\"}\n"));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal("line 1: postcode_search.postcode: a value is required", await ErrorAsync(missing));

        using var good = await collector.Http.PostAsync("v1/events", Ndjson(
            "{\"type\":\"postcode_search\",\"postcode\":\"SW1A 1AA\",\"product\":\"tax\",\"result_count\":3}\n{\"type\":\"unchecked\",\"anything\":1}\n"));
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.Equal(2, (await StoredEvents.StoredAsync(collector.DataDirectory, 2, () => collector.Output)).Count);
        Assert.Equal(2, await collector.StatAsync("counters", "schema_invalid"));
    }

    [Fact]
    public async Task A_schema_with_a_keyword_the_collector_cannot_check_stops_the_start_with_the_file_and_keyword_named()
    {
        var schemas = _dir.Sub("schemas");
        Directory.CreateDirectory(schemas);
        File.WriteAllText(Path.Combine(schemas, "order.schema.json"), "{\"type\":\"object\",\"properties\":{\"total\":{\"oneOf\":[]}}}");
        await using var collector = new DaemonProcess(_dir.Sub("data"), "--schemas", schemas);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(collector.StartAsync);
        Assert.Contains("order.schema.json: #/properties/total/oneOf: keyword 'oneOf' is not supported", error.Message, StringComparison.Ordinal);
        Assert.NotEqual(0, collector.ExitCode);
    }

    private static async Task<string?> ErrorAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").GetString();
    }


    public void Dispose() => _dir.Dispose();
}
