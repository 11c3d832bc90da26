using System.Globalization;
using System.Text.Json;
using Oxbow.DuckDb;

namespace Oxbow.Query.Output;

/// <summary>Writes the .NET values a <see cref="DuckDbResult"/> yields as JSON, with Oxbow's canonical timestamps.</summary>
public static class ValueJson
{
    /// <summary>Writes one value. With <paramref name="omitNullFields"/>, struct fields that are null are left out.</summary>
    public static void Write(Utf8JsonWriter json, object? value, bool omitNullFields = false)
    {
        switch (value)
        {
            case null:
                json.WriteNullValue();
                break;
            case string s:
                json.WriteStringValue(s);
                break;
            case bool b:
                json.WriteBooleanValue(b);
                break;
            case long l:
                json.WriteNumberValue(l);
                break;
            case ulong u:
                json.WriteNumberValue(u);
                break;
            case double d when double.IsFinite(d):
                json.WriteNumberValue(d);
                break;
            case double d:
                // As the event format writes them: NaN and infinities are strings.
                json.WriteStringValue(double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
                break;
            case decimal m:
                json.WriteNumberValue(m);
                break;
            case Int128 or UInt128:
                json.WriteRawValue(Convert.ToString(value, CultureInfo.InvariantCulture)!);
                break;
            case DateTime t:
                json.WriteStringValue(Timestamps.Format(t));
                break;
            case DateOnly d:
                json.WriteStringValue(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                break;
            case TimeOnly t:
                json.WriteStringValue(t.ToString("HH:mm:ss.ffffff", CultureInfo.InvariantCulture));
                break;
            case Guid g:
                json.WriteStringValue(g.ToString("D"));
                break;
            case byte[] bytes:
                json.WriteBase64StringValue(bytes);
                break;
            case DuckDbInterval i:
                json.WriteStringValue(Text(i));
                break;
            case object?[] items:
                json.WriteStartArray();
                foreach (var item in items)
                {
                    Write(json, item, omitNullFields);
                }

                json.WriteEndArray();
                break;
            case OrderedDictionary<string, object?> fields:
                json.WriteStartObject();
                foreach (var (name, field) in fields)
                {
                    if (field is null && omitNullFields)
                    {
                        continue;
                    }

                    json.WritePropertyName(name);
                    Write(json, field, omitNullFields);
                }

                json.WriteEndObject();
                break;
            default:
                json.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    /// <summary>One value as plain text (table and CSV cells): scalars as themselves, nested values as JSON.</summary>
    public static string Text(object? value) => value switch
    {
        null => "",
        string s => s,
        bool b => b ? "true" : "false", // as SQL and JSON spell them, not .NET's True
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        DateTime t => Timestamps.Format(t),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DuckDbInterval i => $"{i.Months} months {i.Days} days {TimeSpan.FromMicroseconds(i.Micros).ToString("c", CultureInfo.InvariantCulture)}",
        object?[] or OrderedDictionary<string, object?> or byte[] => ToJson(value),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    private static string ToJson(object? value)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            Write(json, value);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
