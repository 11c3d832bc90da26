using System.Collections;
using System.Globalization;

namespace Oxbow;

/// <summary>Turns arbitrary .NET values into the small set of JSON-shaped values a <see cref="FieldMap"/> holds.</summary>
public static class FieldValue
{
    /// <summary>Deepest nesting kept; anything deeper is written as the string <c>[too deep]</c>.</summary>
    public const int MaxDepth = 32;

    /// <summary>Normalizes a value. Collections are copied, so later changes to the caller's object do not leak in.</summary>
    public static object? Normalize(object? value) => Normalize(value, 0);

    private static object? Normalize(object? value, int depth)
    {
        switch (value)
        {
            case null: return null;
            case string or bool or long or ulong or double or decimal: return value;
            case int i: return (long)i;
            case short s: return (long)s;
            case sbyte sb: return (long)sb;
            case byte b: return (long)b;
            case ushort us: return (long)us;
            case uint ui: return (long)ui;
            case float f: return (double)f;
            case char c: return c.ToString();
            case Enum e: return e.ToString();
            case DateTime dt: return Timestamps.Format(dt.Kind == DateTimeKind.Local ? dt.ToUniversalTime() : DateTime.SpecifyKind(dt, DateTimeKind.Utc));
            case DateTimeOffset dto: return Timestamps.Format(dto.UtcDateTime);
            case TimeSpan ts: return ts.TotalSeconds;
            case Guid g: return g.ToString("D");
            case Exception ex: return ExceptionData.Capture(ex);
            case FieldMap map: return depth >= MaxDepth ? "[too deep]" : CopyMap(map, depth);
            case IDictionary<string, object?> dict: return depth >= MaxDepth ? "[too deep]" : FromPairs(dict, depth);
            case IReadOnlyDictionary<string, object?> dict: return depth >= MaxDepth ? "[too deep]" : FromPairs(dict, depth);
            case IDictionary dict:
                {
                    if (depth >= MaxDepth)
                    {
                        return "[too deep]";
                    }

                    var map = new FieldMap();
                    foreach (DictionaryEntry entry in dict)
                    {
                        map.SetRaw(Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "", Normalize(entry.Value, depth + 1));
                    }

                    return map;
                }
            case IEnumerable sequence:
                {
                    if (depth >= MaxDepth)
                    {
                        return "[too deep]";
                    }

                    var list = new List<object?>();
                    foreach (var item in sequence)
                    {
                        list.Add(Normalize(item, depth + 1));
                    }

                    return list;
                }
            case IFormattable formattable: return formattable.ToString(null, CultureInfo.InvariantCulture);
            default: return value.ToString();
        }
    }

    private static FieldMap CopyMap(FieldMap source, int depth)
    {
        var map = new FieldMap();
        foreach (var (key, value) in source)
        {
            map.SetRaw(key, Normalize(value, depth + 1));
        }

        return map;
    }

    private static FieldMap FromPairs(IEnumerable<KeyValuePair<string, object?>> pairs, int depth)
    {
        var map = new FieldMap();
        foreach (var (key, value) in pairs)
        {
            map.SetRaw(key, Normalize(value, depth + 1));
        }

        return map;
    }

    internal static object? DeepCopy(object? value) => value switch
    {
        FieldMap map => map.Clone(),
        List<object?> list => list.Select(DeepCopy).ToList(),
        _ => value,
    };
}
