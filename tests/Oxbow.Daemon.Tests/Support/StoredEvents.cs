using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace Oxbow.Daemon.Tests.Support;

/// <summary>Reads what a collector stored, straight from the files.</summary>
internal static class StoredEvents
{
    /// <summary>
    /// The store's NDJSON event files, as queries count them: a sealed file's NDJSON kept a while beside its .gz, and
    /// files a committed compaction replaced (kept a while for queries that listed them), do not count. Parquet files
    /// are not read here. (Linked into test projects that do not reference Oxbow.Query, so the rules are restated.)
    /// </summary>
    public static List<string> Files(string data)
    {
        var files = Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/_oxbow/", StringComparison.Ordinal)).ToList();
        var replaced = files.Where(f => f.EndsWith(".parquet.sources", StringComparison.Ordinal) && File.Exists(f[..^".sources".Length]))
            .SelectMany(list => File.ReadAllLines(list).Where(l => l.Length > 0).Select(name => Path.Combine(Path.GetDirectoryName(list)!, name)))
            .ToHashSet(StringComparer.Ordinal);
        return [.. files
            .Where(f => f.EndsWith(".ndjson.gz", StringComparison.Ordinal) || (f.EndsWith(".ndjson", StringComparison.Ordinal) && !File.Exists(f + ".gz") && !replaced.Contains(f + ".gz")))
            .Where(f => !replaced.Contains(f))
            .Order(StringComparer.Ordinal)];
    }

    public static List<string> Lines(string data)
    {
        List<string> lines = [];
        foreach (var file in Files(data))
        {
            using var stream = File.OpenRead(file);
            using Stream content = file.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(stream, CompressionMode.Decompress) : stream;
            using var reader = new StreamReader(content, Encoding.UTF8);
            var text = reader.ReadToEnd();
            var whole = text.EndsWith('\n') ? text : text[..(text.LastIndexOf('\n') + 1)];
            lines.AddRange(whole.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }

        return lines;
    }

    /// <summary>Each stored event's value of body field <paramref name="field"/>.</summary>
    public static List<string> Values(string data, string field) =>
        [.. Lines(data).Select(line =>
        {
            using var document = JsonDocument.Parse(line);
            return document.RootElement.GetProperty("body").GetProperty(field).ToString();
        })];

    /// <summary>Waits until at least <paramref name="count"/> events are stored, and returns every stored event parsed.</summary>
    public static async Task<List<JsonElement>> StoredAsync(string data, int count, Func<string> context, int seconds = 120)
    {
        List<string> lines = [];
        await Eventually.TrueAsync(() => (lines = Lines(data)).Count >= count,
            () => $"stored {lines.Count} of {count}:\n{string.Join('\n', lines.Take(20))}\n{context()}", seconds);
        return [.. lines.Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }

    /// <summary>NDJSON for events numbered <paramref name="from"/> up to but not including <paramref name="to"/>, about 300 bytes each.</summary>
    public static byte[] Events(int from, int to, string type = "request", string? id = null)
    {
        var text = new StringBuilder();
        var padding = new string('x', 120);
        for (var i = from; i < to; i++)
        {
            var eventId = id ?? OxId.NewId();
            var now = Timestamps.Format(DateTime.UtcNow);
            text.Append("{\"id\":\"").Append(eventId).Append("\",\"type\":\"").Append(type).Append("\",\"start\":\"").Append(now).Append("\",\"end\":\"").Append(now)
                .Append("\",\"level\":\"info\",\"host\":\"test-host\",\"pid\":1,\"app\":\"tests\",\"body\":{\"n\":").Append(i).Append(",\"pad\":\"").Append(padding).Append("\"}}\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
