using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Oxbow.Daemon.Tests.Support;
using Oxbow.Transport;

namespace Oxbow.Daemon.Tests;

public sealed class CollectorTests
{
    private static StringContent Ndjson(string text) => new(text, Encoding.UTF8, "application/x-ndjson");

    [Fact]
    public async Task Http_ingest_answers_200_and_stores_each_event_under_its_type_day_and_hour()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"));
        await collector.StartAsync();

        using var response = await collector.Http.PostAsync("v1/events", Ndjson(
            """
            {"type":"web.hit","end":"2026-03-04T05:06:07.123456Z","path":"/a"}
            {"type":"web.hit","end":"2026-03-04T06:00:00Z","body":{"path":"/b"},"host":"h1"}
            """));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{\"accepted\":2,\"duplicate\":false}\n", await response.Content.ReadAsStringAsync());
        await collector.WaitForStatAsync(0, "spool", "pending_events");
        var files = StoredEvents.Files(dir.Sub("data")).Select(f => Path.GetRelativePath(dir.Sub("data"), f)).ToList();
        Assert.Equal(2, files.Count);
        Assert.StartsWith("type=web.hit/day=2026-03-04/hour=05/", files[0]);
        Assert.StartsWith("type=web.hit/day=2026-03-04/hour=06/", files[1]);
        var lines = StoredEvents.Lines(dir.Sub("data"));
        using var first = JsonDocument.Parse(lines[0]);
        Assert.True(OxId.IsValid(first.RootElement.GetProperty("id").GetString()));
        Assert.Equal("2026-03-04T05:06:07.123456Z", first.RootElement.GetProperty("start").GetString());
        Assert.Equal("/a", first.RootElement.GetProperty("body").GetProperty("path").GetString());
        Assert.Contains("\"host\":\"h1\"", lines[1]);
    }

    [Fact]
    public async Task Http_ingest_names_the_bad_line_refuses_large_bodies_and_accepts_gzip()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"), "--max-batch-bytes", "4096");
        await collector.StartAsync();

        using var bad = await collector.Http.PostAsync("v1/events", Ndjson("{\"type\":\"ok\"}\n{\"type\":\"Bad Type\"}\n"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("line 2: type \\\"Bad Type\\\" is not a valid type name", await bad.Content.ReadAsStringAsync());

        using var notJson = await collector.Http.PostAsync("v1/events", Ndjson("{\"type\":\"ok\"}\n{\"type\":\n"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        Assert.Contains("line 2: invalid JSON", await notJson.Content.ReadAsStringAsync());

        var invalidUtf8 = new ByteArrayContent([.. "{\"type\":\"ok\",\"x\":\""u8, 0xC3, 0x28, .. "\"}\n"u8]);
        using var utf8 = await collector.Http.PostAsync("v1/events", invalidUtf8);
        Assert.Equal(HttpStatusCode.BadRequest, utf8.StatusCode);
        Assert.Contains("line 1: not valid UTF-8", await utf8.Content.ReadAsStringAsync());

        using var large = await collector.Http.PostAsync("v1/events", Ndjson(new string(' ', 5000)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);

        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write("{\"type\":\"zipped\",\"n\":1}\n"u8);
        }

        var content = new ByteArrayContent(compressed.ToArray());
        content.Headers.ContentEncoding.Add("gzip");
        using var zipped = await collector.Http.PostAsync("v1/events", content);
        Assert.Equal(HttpStatusCode.OK, zipped.StatusCode);

        var stats = await collector.StatsAsync();
        Assert.Equal(3, stats.GetProperty("rejects").GetProperty("invalid_event").GetInt64());
        Assert.Equal(1, stats.GetProperty("rejects").GetProperty("frame_too_large").GetInt64());
        Assert.Equal(1, stats.GetProperty("types").GetProperty("zipped").GetProperty("events").GetInt64());
    }

    [Fact]
    public async Task A_retried_http_batch_with_the_same_batch_id_is_stored_once()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"));
        await collector.StartAsync();
        var id = BatchId.New().ToString();

        for (var attempt = 0; attempt < 2; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/events") { Content = Ndjson("{\"type\":\"once\"}\n") };
            request.Headers.Add("Oxbow-Batch-Id", id);
            using var response = await collector.Http.SendAsync(request);
            Assert.Equal(attempt == 0 ? "{\"accepted\":1,\"duplicate\":false}\n" : "{\"accepted\":1,\"duplicate\":true}\n", await response.Content.ReadAsStringAsync());
        }

        await collector.WaitForStatAsync(0, "spool", "pending_events");
        Assert.Single(StoredEvents.Lines(dir.Sub("data")));
    }

    [Fact]
    public async Task A_token_scoped_to_request_is_refused_for_billing_over_http_and_tcp()
    {
        using var dir = new TempDirectory();
        var tokens = dir.Sub("tokens");
        await File.WriteAllTextAsync(tokens, "# test tokens\nadmin adm1n\ningest req-token request*\n");
        await using var collector = new DaemonProcess(dir.Sub("data"), "--token-file", tokens);
        await collector.StartAsync();

        using (var noToken = await collector.Http.PostAsync("v1/events", Ndjson("{\"type\":\"request\"}\n")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        }

        collector.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "req-token");
        using (var allowed = await collector.Http.PostAsync("v1/events", Ndjson("{\"type\":\"request.db\"}\n")))
        {
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        using (var billing = await collector.Http.PostAsync("v1/events", Ndjson("{\"type\":\"request\"}\n{\"type\":\"billing\"}\n")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, billing.StatusCode);
            Assert.Contains("line 2: this token may send only request*, not type 'billing'", await billing.Content.ReadAsStringAsync());
        }

        using (var shutdown = await collector.Http.PostAsync("v1/shutdown", null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, shutdown.StatusCode);
        }

        await using var sender = new BatchSender(new BatchSenderOptions { Endpoints = [collector.Ingest], Token = "req-token" });
        var refused = await sender.SendAsync(new OutgoingBatch(BatchId.New(), 1, StoredEvents.Events(0, 1, "billing")));
        Assert.False(refused.Acknowledged);
        Assert.Equal(RejectReason.Forbidden, refused.Rejection!.Reason);
        var accepted = await sender.SendAsync(new OutgoingBatch(BatchId.New(), 1, StoredEvents.Events(0, 1, "request")));
        Assert.True(accepted.Acknowledged);

        await using var wrong = new BatchSender(new BatchSenderOptions { Endpoints = [collector.Ingest], Token = "nope", MaxBackoff = TimeSpan.FromMilliseconds(200) });
        _ = wrong.SendAsync(new OutgoingBatch(BatchId.New(), 1, StoredEvents.Events(0, 1, "request")));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (wrong.Status.LastError?.Contains("unknown or missing token", StringComparison.Ordinal) != true && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Contains("unknown or missing token", wrong.Status.LastError);
        Assert.Equal(2, await collector.StatAsync("rejects", "forbidden"));
        Assert.True(await collector.StatAsync("rejects", "unauthorized") >= 2);
    }

    [Fact]
    public async Task Stats_count_what_was_sent_per_type_and_host_and_metrics_agree()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"));
        await collector.StartAsync();
        await using var sender = new BatchSender(new BatchSenderOptions { Endpoints = [collector.Ingest] });

        var requests = StoredEvents.Events(0, 700, "request");
        var billing = StoredEvents.Events(0, 300, "billing");
        Assert.True((await sender.SendAsync(new OutgoingBatch(BatchId.New(), 700, requests))).Acknowledged);
        Assert.True((await sender.SendAsync(new OutgoingBatch(BatchId.New(), 300, billing))).Acknowledged);

        var stats = await collector.StatsAsync();
        Assert.Equal(700, stats.GetProperty("types").GetProperty("request").GetProperty("events").GetInt64());
        Assert.Equal(requests.Length, stats.GetProperty("types").GetProperty("request").GetProperty("bytes").GetInt64());
        Assert.Equal(300, stats.GetProperty("types").GetProperty("billing").GetProperty("events").GetInt64());
        Assert.Equal(1000, stats.GetProperty("hosts").GetProperty("test-host").GetProperty("events").GetInt64());
        Assert.Equal(1000, stats.GetProperty("spool").GetProperty("appended_events").GetInt64());
        var metrics = await collector.Http.GetStringAsync("metrics");
        Assert.Contains("oxbow_events_received_total{type=\"request\"} 700\n", metrics);
        Assert.Contains("oxbow_events_received_total{type=\"billing\"} 300\n", metrics);
        Assert.Contains("# TYPE oxbow_spool_pending_events gauge\n", metrics);
        Assert.Contains("# TYPE oxbow_process_jit_methods_total counter\n", metrics);
        // A daemon that has served requests has JIT-compiled thousands of methods, which takes well over a millisecond.
        Assert.True(stats.GetProperty("process").GetProperty("jit_methods").GetInt64() > 100);
        Assert.True(stats.GetProperty("process").GetProperty("jit_milliseconds").GetInt64() > 0);
        await collector.WaitForStatAsync(1000, "store", "events");
    }

    [Fact]
    public async Task Tail_streams_only_events_matching_the_type_pattern_and_field_filter()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"));
        await collector.StartAsync();
        using var tailClient = new HttpClient { BaseAddress = collector.Http.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        using var tail = await tailClient.GetAsync("v1/tail?type=request*&field=level=error", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await tail.Content.ReadAsStreamAsync());
        Assert.Equal("", await reader.ReadLineAsync()); // subscribed

        using var response = await collector.Http.PostAsync("v1/events", Ndjson(
            """
            {"type":"request","level":"error","n":1}
            {"type":"request","level":"info","n":2}
            {"type":"billing","level":"error","n":3}
            {"type":"request.db","level":"error","n":4}
            {"type":"requests_other","level":"error","n":5}
            {"type":"request","level":"error","n":6}
            """));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var seen = new List<long>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (seen.Count < 3)
        {
            var line = await reader.ReadLineAsync(timeout.Token);
            using var document = JsonDocument.Parse(line!);
            seen.Add(document.RootElement.GetProperty("body").GetProperty("n").GetInt64());
        }

        // request* is request and the types under it; requests_other is another type (patterns match whole segments).
        Assert.Equal([1L, 4, 6], seen);
    }

    [Fact]
    public async Task Sigterm_drains_and_exits_0_and_idle_files_are_sealed_as_gzip()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"), "--seal-after", "0.2");
        await collector.StartAsync();
        using var response = await collector.Http.PostAsync("v1/events", Ndjson("{\"type\":\"sealed\",\"n\":1}\n"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await collector.WaitForStatAsync(1, "store", "sealed_files");

        Assert.Equal(0, await collector.TerminateAsync());
        var file = Assert.Single(StoredEvents.Files(dir.Sub("data")));
        Assert.EndsWith(".ndjson.gz", file);
        Assert.Contains("\"n\":1", Assert.Single(StoredEvents.Lines(dir.Sub("data"))));
        Assert.Contains("stopped", collector.Output);
    }

    [Fact]
    public async Task Event_types_cannot_escape_the_data_directory()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"));
        await collector.StartAsync();
        foreach (var type in new[] { "../../etc", "a/../../b", "..", "a..b", "/abs" })
        {
            using var response = await collector.Http.PostAsync("v1/events", Ndjson($"{{\"type\":{JsonSerializer.Serialize(type)}}}\n"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        Assert.Empty(StoredEvents.Files(dir.Sub("data")));
        Assert.Equal(["data"], Directory.EnumerateFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }
}
