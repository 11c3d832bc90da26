using System.Collections;
using System.Globalization;
using System.Net;
using System.Numerics;

namespace Oxbow;

/// <summary>
/// Turns arbitrary .NET values into the small set of JSON-shaped values a <see cref="FieldMap"/> holds. The mapping
/// of each .NET type is listed in docs/event-format.md ("Values").
/// </summary>
/// <remarks>
/// Never throws. Reading a value runs the application's code (<c>ToString</c>, property getters, enumerators); when
/// that code throws, the value becomes the marker <c>&lt;error: ExceptionType&gt;</c>, the failure is counted in
/// <see cref="OxbowStats.ValueErrors"/>, and the rest of the event is kept.
/// </remarks>
internal static class FieldValue
{
    /// <summary>Deepest nesting kept; anything deeper is written as the string <c>[too deep]</c>.</summary>
    public const int MaxDepth = 32;

    /// <summary>Deepest nesting of captured objects (public properties of objects of objects); deeper ones are written with <c>ToString()</c>.</summary>
    public const int MaxObjectDepth = 8;

    /// <summary>Elements kept from one sequence; a longer (or endless) one ends with the string <c>[truncated]</c>.</summary>
    public const int MaxItems = 10_000;

    /// <summary>Normalizes a value. Collections are copied, so later changes to the caller's object do not leak in.</summary>
    public static object? Normalize(object? value) => Safely(value, 0, null);

    /// <summary>The marker for a value whose own code threw, counted once.</summary>
    internal static string Failed(Exception ex)
    {
        Pipeline.Emitter.CountValueError(ex);
        return "<error: " + ex.GetType().Name + ">";
    }

    internal static object? Normalize(object? value, int depth, ObjectPath? path)
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
            case nint n: return (long)n;
            case nuint un: return (ulong)un;
            case float f: return (double)f;
            case Half h: return (double)h;
            case char c: return c.ToString();
            case Enum e: return e.ToString();
            case DateTime dt: return Timestamps.Format(dt.Kind == DateTimeKind.Local ? dt.ToUniversalTime() : DateTime.SpecifyKind(dt, DateTimeKind.Utc));
            case DateTimeOffset dto: return Timestamps.Format(dto.UtcDateTime);
            case DateOnly d: return d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            case TimeOnly t: return t.ToString(t.Ticks % TimeSpan.TicksPerSecond == 0 ? "HH:mm:ss" : "HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);
            case TimeSpan ts: return ts.TotalSeconds;
            case Guid g: return g.ToString("D");
            case Int128 big: return big >= long.MinValue && big <= long.MaxValue ? (long)big : big.ToString(CultureInfo.InvariantCulture);
            case UInt128 ubig: return ubig <= ulong.MaxValue ? (ulong)ubig : ubig.ToString(CultureInfo.InvariantCulture);
            case BigInteger bi: return bi >= long.MinValue && bi <= long.MaxValue ? (long)bi : bi.ToString(CultureInfo.InvariantCulture);
            case Uri uri: return uri.IsAbsoluteUri ? uri.AbsoluteUri : uri.OriginalString;
            case IPAddress ip: return ip.ToString();
            case byte[] bytes: return Convert.ToBase64String(bytes);
            case ReadOnlyMemory<byte> rom: return Convert.ToBase64String(rom.Span);
            case Memory<byte> mem: return Convert.ToBase64String(mem.Span);
            case Exception ex: return ExceptionData.Capture(ex);
            case Type type: return type.FullName ?? type.Name;
            case FieldMap map: return depth >= MaxDepth ? "[too deep]" : CopyMap(map, depth);
            case IDictionary<string, object?> dict: return depth >= MaxDepth ? "[too deep]" : FromPairs(dict, depth, path);
            case IReadOnlyDictionary<string, object?> dict: return depth >= MaxDepth ? "[too deep]" : FromPairs(dict, depth, path);
            case IDictionary dict: return depth >= MaxDepth ? "[too deep]" : FromDictionary(dict, depth, path);
            case IEnumerable sequence: return depth >= MaxDepth ? "[too deep]" : FromSequence(sequence, depth, path);
            case IFormattable formattable: return Text(formattable);
            default: return ObjectCapture.Capture(value, depth, path);
        }
    }

    /// <summary>Runs one piece of the application's code that yields a value; a throw becomes the marker.</summary>
    internal static object? Safely(object? value, int depth, ObjectPath? path)
    {
        try
        {
            return Normalize(value, depth, path);
        }
        catch (Exception ex)
        {
            return Failed(ex);
        }
    }

    private static string Text(IFormattable formattable)
    {
        try
        {
            return formattable.ToString(null, CultureInfo.InvariantCulture);
        }
        catch (Exception ex)
        {
            return Failed(ex);
        }
    }

    private static FieldMap CopyMap(FieldMap source, int depth)
    {
        var map = new FieldMap();
        foreach (var (key, value) in source)
        {
            map.SetRaw(key, Normalize(value, depth + 1, null));
        }

        return map;
    }

    private static object FromPairs(IEnumerable<KeyValuePair<string, object?>> pairs, int depth, ObjectPath? path)
    {
        var map = new FieldMap();
        try
        {
            foreach (var (key, value) in pairs)
            {
                map.SetRaw(key ?? "", Safely(value, depth + 1, path));
            }
        }
        catch (Exception ex)
        {
            return Failed(ex);
        }

        return map;
    }

    private static object FromDictionary(IDictionary dict, int depth, ObjectPath? path)
    {
        var map = new FieldMap();
        try
        {
            foreach (DictionaryEntry entry in dict)
            {
                map.SetRaw(Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "", Safely(entry.Value, depth + 1, path));
            }
        }
        catch (Exception ex)
        {
            return Failed(ex);
        }

        return map;
    }

    private static object FromSequence(IEnumerable sequence, int depth, ObjectPath? path)
    {
        // A sequence is read once, when it is set, so a lazy one runs here: a throwing one becomes the marker and an
        // endless one stops at MaxItems, instead of hanging or failing the caller.
        var list = new List<object?>();
        try
        {
            foreach (var item in sequence)
            {
                if (list.Count == MaxItems)
                {
                    list.Add("[truncated]");
                    break;
                }

                list.Add(Safely(item, depth + 1, path));
            }
        }
        catch (Exception ex)
        {
            return Failed(ex);
        }

        return list;
    }

    internal static object? DeepCopy(object? value) => value switch
    {
        FieldMap map => map.Clone(),
        List<object?> list => list.Select(DeepCopy).ToList(),
        _ => value,
    };
}
