using System.Globalization;
using Oxbow.Codec;

namespace Oxbow.Rendering;

/// <summary>Shared text helpers for the line-oriented renderers.</summary>
internal static class FieldText
{
    private static readonly KeyCache NoRedaction = new(RedactionPolicy.None);

    /// <summary>Flattens nested maps into dotted keys, in insertion order; arrays stay whole.</summary>
    public static List<KeyValuePair<string, object?>> Flatten(FieldMap map, Func<string, bool>? skipTopLevel = null)
    {
        var result = new List<KeyValuePair<string, object?>>();
        Flatten(map, "", result, skipTopLevel);
        return result;
    }

    private static void Flatten(FieldMap map, string prefix, List<KeyValuePair<string, object?>> result, Func<string, bool>? skip)
    {
        foreach (var (key, value) in map)
        {
            if (prefix.Length == 0 && skip is not null && skip(key))
            {
                continue;
            }

            var path = prefix.Length == 0 ? key : $"{prefix}.{key}";
            if (value is FieldMap nested && nested.Count > 0)
            {
                Flatten(nested, path, result, null);
            }
            else
            {
                result.Add(new(path, value));
            }
        }
    }

    /// <summary>A value as plain text: strings unquoted, numbers invariant, arrays and maps as compact JSON.</summary>
    public static string Plain(object? value) => value switch
    {
        null => "null",
        string s => s,
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => Json(value),
    };

    /// <summary>For people: strings quoted only when needed, arrays and maps as compact JSON.</summary>
    public static string Display(object? value) => value switch
    {
        string s => Quote(s),
        FieldMap or List<object?> => Json(value),
        _ => Plain(value),
    };

    public static string Json(object? value)
    {
        var writer = new Utf8EventWriter(128);
        writer.Object(value, NoRedaction, 1);
        return System.Text.Encoding.UTF8.GetString(writer.WrittenSpan);
    }

    /// <summary>logfmt quoting: bare when safe, else a double-quoted string with backslash escapes.</summary>
    public static string Quote(string text)
    {
        if (text.Length > 0 && !text.Any(c => c <= ' ' || c is '=' or '"' or '\\' || char.IsControl(c)))
        {
            return text;
        }

        var builder = new System.Text.StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case < ' ': builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"); break;
                default: builder.Append(c); break;
            }
        }

        return builder.Append('"').ToString();
    }

    /// <summary>True for log events, whose label is their <c>event</c> field rather than their type.</summary>
    public static bool IsLogType(string type) => type == "log" || type.EndsWith(".log", StringComparison.Ordinal);
}
