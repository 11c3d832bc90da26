using System.Text;
using System.Text.Json;
using Oxbow.Receivers.Events;

namespace Oxbow.Receivers.Seq;

/// <summary>
/// Renders a Serilog message template (<c>Order {OrderId} shipped to {Country}</c>) with an event's properties, as
/// Serilog renders it: strings in double quotes (quotes inside escaped) unless the format is <c>l</c>, other scalars
/// as JSON text, an alignment (<c>{Name,5}</c>, <c>{Name,-5}</c>) as padding, and a property the event lacks left as
/// its hole. <c>{{</c> and <c>}}</c> are literal braces.
/// </summary>
internal static class MessageTemplate
{
    /// <summary>
    /// Renders a template given as its JSON text straight into a JSON string (quotes included) in
    /// <paramref name="output"/>, without decoding either: the template's and the values' text is already escaped for
    /// JSON. Only for the common case: false (and nothing written) when the template holds an escape or a hole names
    /// an array or object, which <see cref="Render"/> handles.
    /// </summary>
    public static bool TryRenderJson(ClefProperty template, ClefObject? properties, PooledBufferWriter output)
    {
        var raw = template.Raw.Span;
        if (template.Kind != JsonTokenType.String || raw.IndexOf((byte)'\\') >= 0)
        {
            return false;
        }

        var text = raw[1..^1];
        output.Truncate(0);
        output.Write("\""u8);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is (byte)'{' or (byte)'}' && i + 1 < text.Length && text[i + 1] == c)
            {
                output.Write(text.Slice(i, 1));
                i++;
            }
            else if (c == '{' && text[(i + 1)..].IndexOf((byte)'}') is var length and >= 0)
            {
                var close = i + 1 + length;
                var name = text[(i + 1)..close].TrimStart("@$"u8);
                var format = ReadOnlySpan<byte>.Empty;
                var cut = name.IndexOfAny((byte)':', (byte)',');
                if (cut >= 0)
                {
                    format = name[cut] == ':' ? name[(cut + 1)..] : default;
                    name = name[..cut];
                }

                if (properties is null || !properties.TryGet(name, out var value))
                {
                    output.Write(text[i..(close + 1)]);
                }
                else if (text[(i + 1)..close].IndexOf((byte)',') >= 0 || (value.Kind == JsonTokenType.String && value.Raw.Span.IndexOf((byte)'\\') >= 0))
                {
                    // Alignment pads the rendered text, and an escape may hide a quote to escape: the decoded path.
                    return false;
                }
                else if (value.Kind == JsonTokenType.String)
                {
                    var quote = !format.SequenceEqual("l"u8);
                    if (quote)
                    {
                        output.Write("\\\""u8);
                    }

                    output.Write(value.Raw.Span[1..^1]);
                    if (quote)
                    {
                        output.Write("\\\""u8);
                    }
                }
                else if (value.Kind is JsonTokenType.StartArray or JsonTokenType.StartObject)
                {
                    return false;
                }
                else
                {
                    output.Write(value.Raw.Span);
                }

                i = close;
            }
            else
            {
                output.Write(text.Slice(i, 1));
            }
        }

        output.Write("\""u8);
        return true;
    }

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
                var alignment = 0;
                var colon = name.IndexOf(':');
                if (colon >= 0)
                {
                    format = name[(colon + 1)..].ToString();
                    name = name[..colon];
                }

                var comma = name.IndexOf(',');
                if (comma >= 0)
                {
                    _ = int.TryParse(name[(comma + 1)..], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out alignment);
                    name = name[..comma];
                }

                var start = text.Length;
                if (properties is not null && Find(properties, name) is { } value)
                {
                    if (value.Kind == JsonTokenType.String)
                    {
                        var content = value.String();
                        _ = format == "l" ? text.Append(content) : Quote(text, content);
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

                // {Name,5} right-aligns in 5 characters, {Name,-5} left-aligns, as .NET's composite formatting does.
                var width = Math.Abs(alignment) - (text.Length - start);
                if (width > 0)
                {
                    _ = alignment > 0 ? text.Insert(start, " ", width) : text.Append(' ', width);
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

    /// <summary>A string as Serilog quotes it in a message: in double quotes, with the quotes inside escaped.</summary>
    private static StringBuilder Quote(StringBuilder text, string? content) =>
        text.Append('"').Append(content?.Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');

    /// <summary>A value as Serilog writes it in a message: <c>"text"</c>, <c>[1, 2]</c>, <c>Type { Name: "x" }</c>.</summary>
    private static void Append(StringBuilder text, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                Quote(text, value.GetString());
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
