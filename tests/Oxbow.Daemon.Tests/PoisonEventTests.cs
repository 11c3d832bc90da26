using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using Oxbow.Daemon.Tests.Support;
using Oxbow.Store;
using Oxbow.Transport;

namespace Oxbow.Daemon.Tests;

/// <summary>Every stored event stays queryable: keys DuckDB cannot read are repaired at ingest, and a file it cannot read is left out, not fatal.</summary>
public sealed class PoisonEventTests
{
    private static string Canonical(string type, string rest)
    {
        var now = Timestamps.Format(DateTime.UtcNow);
        return $"{{\"id\":\"{OxId.NewId()}\",\"type\":\"{type}\",\"start\":\"{now}\",\"end\":\"{now}\"{rest}}}\n";
    }

    [Fact]
    public async Task Keys_that_differ_only_in_case_empty_keys_and_a_second_id_are_renamed_on_every_path_and_every_type_stays_queryable()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"), "--seal-after", "0.2", "--compact-after", "off");
        await collector.StartAsync();
        await using var sender = new BatchSender(new BatchSenderOptions { Endpoints = [collector.Ingest] });
        async Task SendAsync(string lines, int count)
        {
            var result = await sender.SendAsync(new OutgoingBatch(BatchId.New(), count, Encoding.UTF8.GetBytes(lines)));
            Assert.True(result.Acknowledged, result.Rejection?.Message);
        }

        // The binary protocol, canonical lines (what Oxbow's clients send).
        await SendAsync(Canonical("case", ",\"level\":\"info\",\"body\":{\"Abc\":1,\"abc\":2,\"ABC\":3,\"abc_2\":4}"), 1);
        await SendAsync(Canonical("nested", ",\"level\":\"info\",\"body\":{\"o\":{\"UserId\":1,\"userId\":2},\"list\":[{\"k\":1,\"K\":2}]}"), 1);
        await SendAsync(Canonical("empty", ",\"level\":\"info\",\"body\":{\"\":\"x\",\"ok\":1}"), 1);
        await SendAsync(Canonical("twice", ",\"id\":\"again\",\"level\":\"info\",\"body\":{\"n\":1}"), 1);
        await SendAsync(Canonical("dup", ",\"level\":\"info\",\"body\":{\"a\":1,\"a\":2}"), 1);
        await SendAsync(Canonical("plain", ",\"level\":\"info\",\"body\":{\"n\":1}"), 1);
        // HTTP, lines from other sources (normalized): a top-level field that collides with a body field in case only.
        using (var response = await collector.Http.PostAsync("v1/events", new StringContent("{\"type\":\"http\",\"body\":{\"Status\":200},\"status\":500,\"\":1}\n")))
        {
            Assert.Equal("{\"accepted\":1,\"duplicate\":false}\n", await response.Content.ReadAsStringAsync());
        }

        await collector.WaitForStatAsync(7, "store", "events");
        Assert.Equal(6, await collector.StatAsync("counters", "events_keys_repaired"));
        await Eventually.TrueAsync(() => !StoredEvents.Files(dir.Sub("data")).Any(f => f.EndsWith(".ndjson", StringComparison.Ordinal)), () => collector.Output);

        string Body(string type)
        {
            var line = StoredEvents.Lines(dir.Sub("data")).Single(l => l.Contains($"\"type\":\"{type}\"", StringComparison.Ordinal));
            using var document = JsonDocument.Parse(line);
            return document.RootElement.GetProperty("body").GetRawText();
        }

        Assert.Equal("{\"Abc\":1,\"abc_2\":2,\"ABC_3\":3,\"abc_2_2\":4}", Body("case"));
        Assert.Equal("{\"o\":{\"UserId\":1,\"userId_2\":2},\"list\":[{\"k\":1,\"K_2\":2}]}", Body("nested"));
        Assert.Equal("{\"_empty\":\"x\",\"ok\":1}", Body("empty"));
        Assert.Equal("{\"a\":1,\"a_2\":2}", Body("dup"));
        Assert.Equal("{\"Status\":200,\"status_2\":500,\"_empty\":1}", Body("http"));
        Assert.Contains("\"id_2\":\"again\"", StoredEvents.Lines(dir.Sub("data")).Single(l => l.Contains("\"type\":\"twice\"", StringComparison.Ordinal)));

        var (status, body) = await collector.QueryAsync("SELECT type, count(*) AS n FROM events GROUP BY type ORDER BY type");
        Assert.True(status == HttpStatusCode.OK, body);
        Assert.Equal("type,n\r\ncase,1\r\ndup,1\r\nempty,1\r\nhttp,1\r\nnested,1\r\nplain,1\r\ntwice,1\r\n", body);
        (status, body) = await collector.QueryAsync("SELECT Abc, abc_2, ABC_3 FROM \"case\"");
        Assert.Equal("Abc,abc_2,ABC_3\r\n1,2,3\r\n", body);
    }

    [Fact]
    public async Task A_sealed_file_duckdb_cannot_read_is_left_out_reported_and_logged_while_its_type_and_events_keep_answering()
    {
        using var dir = new TempDirectory();
        var data = dir.Sub("data");
        // As a collector before key repair could have stored it: one good file and one poisoned, in one hour.
        var hour = Path.Combine(data, "type=old", "day=2026-11-20", "hour=10");
        Directory.CreateDirectory(hour);
        var good = Canonical("old", ",\"level\":\"info\",\"body\":{\"n\":1}").Replace(Timestamps.Format(DateTime.UtcNow)[..10], "2026-11-20", StringComparison.Ordinal);
        WriteGzip(Path.Combine(hour, "c_000000-0000000001.ndjson.gz"), FixHour(good));
        WriteGzip(Path.Combine(hour, "c_000000-0000000002.ndjson.gz"), FixHour(good.Replace("{\"n\":1}", "{\"Abc\":1,\"abc\":2}", StringComparison.Ordinal)));
        await using var collector = new DaemonProcess(data, "--compact-after", "0");
        await collector.StartAsync();
        // Compaction does not stall on the bad file: the good one becomes Parquet, the bad one stays as it is.
        await collector.WaitForStatAsync(1, "compaction", "events");
        Assert.Single(Directory.GetFiles(hour, "*.parquet"));
        // (The replaced good file stays on disk a while for queries that listed it; it no longer counts.)
        var counted = Oxbow.Store.StoreLayout.Files(new Oxbow.Store.Partition("old", new DateOnly(2026, 11, 20), 10, hour));
        Assert.Equal(["c_000000-0000000002.ndjson.gz"], counted.Sealed.Select(Path.GetFileName));
        await using (var sender = new BatchSender(new BatchSenderOptions { Endpoints = [collector.Ingest] }))
        {
            Assert.True((await sender.SendAsync(new OutgoingBatch(BatchId.New(), 1, Encoding.UTF8.GetBytes(Canonical("fresh", ",\"level\":\"info\",\"body\":{\"n\":2}"))))).Acknowledged);
        }

        var (status, body) = await collector.QueryAsync("SELECT type, count(*) AS n FROM events GROUP BY type ORDER BY type");
        Assert.True(status == HttpStatusCode.OK, body);
        Assert.Equal("type,n\r\nfresh,1\r\nold,1\r\n", body);
        (status, body) = await collector.QueryAsync("SELECT n FROM old");
        Assert.Equal("n\r\n1\r\n", body);

        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/query") { Content = new StringContent("{\"sql\":\"SELECT count(*) FROM old\",\"stats\":true}") };
        using var answer = await collector.Http.SendAsync(request);
        using var json = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        var skipped = json.RootElement.GetProperty("stats").GetProperty("skipped_files");
        Assert.Equal(1, skipped.GetArrayLength());
        Assert.Contains("c_000000-0000000002.ndjson.gz", skipped[0].GetString());
        await collector.WaitForOutputAsync("store_file_unreadable");
        await collector.WaitForOutputAsync("compaction_left_out_unreadable_file");

        static string FixHour(string line) => System.Text.RegularExpressions.Regex.Replace(line, "T\\d\\d:", "T10:");
    }

    private static void WriteGzip(string path, string text)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(Encoding.UTF8.GetBytes(text));
    }
}
