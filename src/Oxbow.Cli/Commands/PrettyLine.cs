using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Oxbow.Cli.Commands;

/// <summary>
/// The readable one-line form of an event for <c>view --pretty</c> and <c>tail --pretty</c>: time, level, type,
/// short id (last 8 hex digits), host, duration, then the body as <c>key=value</c> with dotted keys.
/// </summary>
internal static class PrettyLine
{
    public static string Format(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var text = new StringBuilder(160);
        var end = Get(root, "end");
        text.Append(end.Length >= 23 ? end[..23].Replace('T', ' ') : end).Append(' ');
        text.Append(Get(root, "level").PadRight(7)).Append(' ');
        text.Append(Get(root, "type")).Append(' ');
        var id = Get(root, "id");
        text.Append(id.Length >= 8 ? id[^8..] : id).Append(' ');
        text.Append(Get(root, "host"));
        if (DateTime.TryParse(Get(root, "start"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var s)
            && DateTime.TryParse(end, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var e))
        {
            text.Append(' ').Append((e - s).TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture)).Append("ms");
        }

        if (root.TryGetProperty("body", out var body) && body.ValueKind == JsonValueKind.Object)
        {
            Fields(body, "", text);
        }

        return text.ToString();
    }

    private static void Fields(JsonElement element, string prefix, StringBuilder text)
    {
        foreach (var property in element.EnumerateObject())
        {
            var key = prefix + property.Name;
            if (property.Value.ValueKind == JsonValueKind.Object)
            {
                Fields(property.Value, key + ".", text);
                continue;
            }

            text.Append(' ').Append(key).Append('=');
            var value = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
            text.Append(value.Contains(' ') || value.Length == 0 ? JsonSerializer.Serialize(value) : value);
        }
    }

    private static string Get(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) ? value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText() : "-";
}
