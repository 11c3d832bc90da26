using System.Text.Encodings.Web;
using System.Text.Json;

namespace Oxbow.Daemon.Ingest;

/// <summary>
/// Makes an event's keys storable. The store is read by DuckDB, whose column and struct field names ignore case and
/// must be unique and non-empty: one event with <c>{"Abc":1,"abc":2}</c>, an empty key or a second <c>id</c> would
/// make every query over its type fail once its file is sealed. The rules, applied in every object at every depth,
/// keep every value:
/// <list type="bullet">
/// <item>an empty key becomes <c>_empty</c>;</item>
/// <item>a key equal to an earlier key of the same object, ignoring case, gets the first free suffix <c>_2</c>,
/// <c>_3</c>, … (<c>{"Abc":1,"abc":2}</c> becomes <c>{"Abc":1,"abc_2":2}</c>); the first one keeps its name.</item>
/// </list>
/// Every ingest path (binary, HTTP, syslog) passes through <see cref="EventLines"/>, which applies these rules; each
/// event repaired is counted (<c>events_keys_repaired</c>).
/// </summary>
internal static class KeyRepair
{
    /// <summary>What an empty key becomes.</summary>
    public const string EmptyKey = "_empty";

    // Keys and values are written back as UTF-8, escaped only where JSON requires it.
    internal static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes <paramref name="value"/> with every object's keys repaired; returns how many keys changed.</summary>
    public static int Write(JsonElement value, Utf8JsonWriter json)
    {
        var renamed = 0;
        WriteValue(value, json, ref renamed);
        return renamed;
    }

    /// <summary>
    /// Writes <paramref name="member"/> into an object whose names so far are <paramref name="seen"/> (compared
    /// ignoring case), repairing its name and every key inside its value.
    /// </summary>
    public static int WriteMember(JsonProperty member, HashSet<string> seen, Utf8JsonWriter json)
    {
        var renamed = 0;
        json.WritePropertyName(UniqueName(member.Name, seen, ref renamed));
        WriteValue(member.Value, json, ref renamed);
        return renamed;
    }

    /// <summary>A set for <see cref="WriteMember"/>: names compared as DuckDB compares them.</summary>
    public static HashSet<string> NewNameSet() => new(StringComparer.OrdinalIgnoreCase);

    private static void WriteValue(JsonElement value, Utf8JsonWriter json, ref int renamed)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                var seen = NewNameSet();
                json.WriteStartObject();
                foreach (var member in value.EnumerateObject())
                {
                    json.WritePropertyName(UniqueName(member.Name, seen, ref renamed));
                    WriteValue(member.Value, json, ref renamed);
                }

                json.WriteEndObject();
                break;
            case JsonValueKind.Array:
                json.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    WriteValue(item, json, ref renamed);
                }

                json.WriteEndArray();
                break;
            default:
                value.WriteTo(json);
                break;
        }
    }

    private static string UniqueName(string name, HashSet<string> seen, ref int renamed)
    {
        var unique = name.Length == 0 ? EmptyKey : name;
        if (seen.Add(unique))
        {
            renamed += unique == name ? 0 : 1;
            return unique;
        }

        for (var n = 2; ; n++)
        {
            var candidate = $"{unique}_{n}";
            if (seen.Add(candidate))
            {
                renamed++;
                return candidate;
            }
        }
    }
}
