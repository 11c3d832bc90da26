namespace Oxbow.Tests;

[Collection(Support.GlobalState.Name)]
public class FieldMapTests
{
    private static string Json(FieldMap map)
    {
        var e = EventModelTests.SampleEvent();
        e.Body = map;
        var text = e.ToString();
        return text[(text.IndexOf("\"body\":", StringComparison.Ordinal) + 7)..^1];
    }

    [Fact]
    public void Dotted_keys_nest()
    {
        var map = new FieldMap();
        map.Set("response.status", 200);
        map.Set("response.size", 12);
        Assert.Equal("""{"response":{"status":200,"size":12}}""", Json(map));
    }

    [Fact]
    public void A_map_merges_into_an_existing_map_and_a_scalar_replaces()
    {
        var map = new FieldMap();
        map.Set("response", new Dictionary<string, object?> { ["status"] = 200 });
        map.Set("response", new Dictionary<string, object?> { ["size"] = 5 });
        map.Set("user", "a");
        map.Set("user", "b");
        Assert.Equal("""{"response":{"status":200,"size":5},"user":"b"}""", Json(map));
    }

    [Fact]
    public void Append_builds_an_array_and_add_counts_from_zero()
    {
        var map = new FieldMap();
        map.Append("queries", "a");
        map.Append("queries", "b");
        map.Set("single", 1);
        map.Append("single", 2);
        map.Add("hits", 1);
        map.Add("hits", 1);
        map.Add("seconds", 0.5);
        map.Add("seconds", 0.25);
        Assert.Equal("""{"queries":["a","b"],"single":[1,2],"hits":2,"seconds":0.75}""", Json(map));
    }

    [Fact]
    public void Values_are_normalized_to_json_shapes()
    {
        var map = new FieldMap();
        map.Set("guid", Guid.Parse("6f9619ff-8b86-d011-b42d-00cf4fc964ff"));
        map.Set("when", new DateTimeOffset(2026, 11, 22, 4, 39, 0, TimeSpan.FromHours(1)));
        map.Set("elapsed", TimeSpan.FromMilliseconds(1500));
        map.Set("level", OxLevel.Warning);
        map.Set("float", 1.5f);
        map.Set("none", null);
        Assert.Equal(
            """{"guid":"6f9619ff-8b86-d011-b42d-00cf4fc964ff","when":"2026-11-22T03:39:00.000000Z","elapsed":1.5,"level":"Warning","float":1.5,"none":null}""",
            Json(map));
    }
}
