using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Oxbow.Query.Tests.Support;

/// <summary>One generated event, kept so tests can compute expected answers with LINQ.</summary>
internal sealed record KnownEvent(string Type, string Id, DateTime End, string? TraceId, JsonObject Body)
{
    public string Line()
    {
        var e = new JsonObject
        {
            ["id"] = Id,
            ["type"] = Type,
            ["start"] = Timestamps.Format(End),
            ["end"] = Timestamps.Format(End),
            ["level"] = "info",
            ["host"] = "web1",
            ["pid"] = 42,
            ["app"] = "shop",
        };
        if (TraceId is not null)
        {
            e["trace_id"] = TraceId;
        }

        e["body"] = Body.DeepClone();
        return e.ToJsonString();
    }

    public string Field(string name) => Body[name]!.ToJsonString().Trim('"');
}

/// <summary>
/// A store of known content, written as sealed <c>.ndjson.gz</c> files in the collector's layout: postcode searches
/// (product, postcode, calls_devs_api), requests (status, request_time, endpoint, a trace id shared by three
/// requests) and request.db sub-events, over two days and three hours a day.
/// </summary>
internal sealed class KnownDataset
{
    public static readonly string[] Products = ["WCIVF", "WDIV", "AggregatorApi"];
    public static readonly string[] Postcodes = ["SW1A 1AA", "EH1 1YZ", "CF10 1EP", "BT1 5GS"];
    public static readonly DateOnly[] Days = [new(2026, 11, 20), new(2026, 11, 21)];
    public static readonly int[] Hours = [9, 10, 11];
    private int _sequence;

    public List<KnownEvent> Events { get; } = [];

    public static KnownDataset Write(string data, int perHour = 120)
    {
        var set = new KnownDataset();
        var i = 0;
        foreach (var day in Days)
        {
            foreach (var hour in Hours)
            {
                var start = day.ToDateTime(new TimeOnly(hour, 0), DateTimeKind.Utc);
                List<KnownEvent> searches = [], requests = [], db = [];
                for (var k = 0; k < perHour; k++, i++)
                {
                    var end = start.AddSeconds(k * 29).AddTicks(k * 10);
                    searches.Add(new KnownEvent("postcode_search", Id(1, i), end, null, new JsonObject
                    {
                        ["postcode"] = Postcodes[i % 4],
                        ["product"] = Products[i % 3],
                        ["calls_devs_api"] = i % 2 == 0,
                    }));
                    var trace = (i / 3).ToString("x32", CultureInfo.InvariantCulture);
                    var request = new KnownEvent("request", Id(2, i), end, trace, new JsonObject
                    {
                        ["status"] = new[] { 200, 200, 200, 404, 500 }[i % 5],
                        ["request_time"] = ((i * 7) % 100 / 100.0) + 0.005,
                        ["endpoint"] = "/api/" + "abc"[i % 3],
                        ["response"] = new JsonObject { ["bytes"] = i * 10 },
                    });
                    requests.Add(request);
                    if (i % 3 == 0)
                    {
                        db.Add(new KnownEvent("request.db", request.Id, end, trace, new JsonObject { ["rows"] = i, ["table"] = "orders" }));
                    }
                }

                // Two files for one type, one for the others: queries must read every file of an hour.
                set.WriteSealed(data, searches[..(perHour / 2)]);
                set.WriteSealed(data, searches[(perHour / 2)..]);
                set.WriteSealed(data, requests);
                set.WriteSealed(data, db);
            }
        }

        return set;
    }

    /// <summary>Writes events (all in one hour) as one sealed file, as the collector does; returns its path.</summary>
    public string WriteSealed(string data, IReadOnlyList<KnownEvent> events, bool open = false)
    {
        var first = events[0];
        var directory = Path.Combine(data, $"type={first.Type}/day={first.End:yyyy-MM-dd}/hour={first.End:HH}");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"test_c0ffee-{++_sequence:D10}.ndjson" + (open ? "" : ".gz"));
        var text = Encoding.UTF8.GetBytes(string.Concat(events.Select(e => e.Line() + "\n")));
        using (var file = File.Create(path))
        {
            if (open)
            {
                file.Write(text);
            }
            else
            {
                using var gzip = new GZipStream(file, CompressionLevel.Fastest);
                gzip.Write(text);
            }
        }

        Events.AddRange(events);
        return path;
    }

    public IEnumerable<KnownEvent> OfType(string type) => Events.Where(e => e.Type == type);

    public static string Id(int kind, int i) => $"{kind:x8}{i:x24}";

    /// <summary>DuckDB's quantile_cont: linear interpolation between closest ranks.</summary>
    public static double QuantileCont(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        var h = (sorted.Length - 1) * p;
        var lo = (int)Math.Floor(h);
        return lo + 1 < sorted.Length ? sorted[lo] + ((h - lo) * (sorted[lo + 1] - sorted[lo])) : sorted[lo];
    }

    public static JsonElement Parse(string line)
    {
        using var document = JsonDocument.Parse(line);
        return document.RootElement.Clone();
    }
}
