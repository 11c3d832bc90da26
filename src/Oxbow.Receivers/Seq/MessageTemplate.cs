using System.Text;
using System.Text.Json;

namespace Oxbow.Receivers.Seq;

/// <summary>
/// Renders a Serilog message template (<c>Order {OrderId} shipped to {Country}</c>) with an event's properties, as
/// Serilog renders it: strings in double quotes unless the format is <c>l</c>, other scalars as JSON text, and a
/// property the event lacks left as its hole. <c>{{</c> and <c>}}</c> are literal braces.
/// </summary>
internal static class MessageTemplate
{
    /// <summary>Renders <paramref name="template"/> into <paramref name="text"/> (cleared first: one serves a request).</summary>
    public static string Render(string template, ClefObject? properties, StringBuilder text)
    {
        text.Clear();
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if (c == '{' && i + 1 < template.Length && template[i + 1] == '{')
            {
                text.Append('{');
                i++;
            }
            else if (c == '}' && i + 1 < template.Length && template[i + 1] == '}')
            {
                text.Append('}');
                i++;
            }
            else if (c == '{' && template.IndexOf('}', i + 1) is var close and > 0)
            {
                var hole = template.AsSpan(i + 1, close - i - 1);
                var name = hole.TrimStart("@$");
                var format = "";
                var cut = name.IndexOfAny(':', ',');
                if (cut >= 0)
                {
                    format = name[cut] == ':' ? name[(cut + 1)..].ToString() : "";
                    name = name[..cut];
                }

                if (properties is not null && Find(properties, name) is { } value)
                {
                    if (value.Kind == JsonTokenType.String)
                    {
                        var content = value.String();
                        _ = format == "l" ? text.Append(content) : text.Append('"').Append(content).Append('"');
                    }
                    else if (value.Kind is JsonTokenType.StartArray or JsonTokenType.StartObject)
                    {
                        using var document = JsonDocument.Parse(value.Raw);
                        Append(text, document.RootElement);
                    }
                    else
                    {
                        text.Append(Encoding.UTF8.GetString(value.Raw.Span));
                    }
                }
                else
                {
                    text.Append(template, i, close - i + 1);
                }

                i = close;
            }
            else
            {
                text.Append(c);
            }
        }

        return text.ToString();
    }

    /// <summary>The property a hole names (compared as UTF-8; a short name is encoded on the stack).</summary>
    private static ClefProperty? Find(ClefObject properties, ReadOnlySpan<char> name)
    {
        var utf8 = name.Length <= 64 ? stackalloc byte[192] : new byte[Encoding.UTF8.GetMaxByteCount(name.Length)];
        var length = Encoding.UTF8.GetBytes(name, utf8);
        return properties.TryGet(utf8[..length], out var value) ? value : null;
    }

    /// <summary>A value as Serilog writes it in a message: <c>"text"</c>, <c>[1, 2]</c>, <c>Type { Name: "x" }</c>.</summary>
    private static void Append(StringBuilder text, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                text.Append('"').Append(value.GetString()).Append('"');
                break;
            case JsonValueKind.Array:
                text.Append('[');
                var first = true;
                foreach (var item in value.EnumerateArray())
                {
                    text.Append(first ? "" : ", ");
                    first = false;
                    Append(text, item);
                }

                text.Append(']');
                break;
            case JsonValueKind.Object:
                if (value.TryGetProperty("$type", out var type) && type.ValueKind == JsonValueKind.String)
                {
                    text.Append(type.GetString()).Append(' ');
                }

                text.Append("{ ");
                var any = false;
                foreach (var property in value.EnumerateObject())
                {
                    if (property.Name == "$type")
                    {
                        continue;
                    }

                    text.Append(any ? ", " : "").Append(property.Name).Append(": ");
                    any = true;
                    Append(text, property.Value);
                }

                text.Append(any ? " }" : "}");
                break;
            default:
                text.Append(value.GetRawText());
                break;
        }
    }
}
