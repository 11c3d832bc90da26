using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Oxbow.Daemon.Schemas;

/// <summary>
/// A JSON Schema (draft 2020-12) for event bodies, compiled once, limited to the keywords typed streams need:
/// <c>type</c>, <c>properties</c>, <c>required</c>, <c>additionalProperties</c> (true/false), <c>enum</c>, <c>const</c>,
/// <c>pattern</c>, <c>minimum</c>, <c>maximum</c>, <c>exclusiveMinimum</c>, <c>exclusiveMaximum</c>, <c>minLength</c>,
/// <c>maxLength</c>, <c>items</c>, <c>minItems</c>, <c>maxItems</c>, plus annotations (<c>title</c>, <c>format</c>, …).
/// Any other keyword is refused when the schema loads, so a schema never silently checks less than it says.
/// </summary>
/// <remarks>No JSON Schema library restores from this project's package mirror (JsonSchema.Net lacks a dependency),
/// hence this small validator.</remarks>
internal sealed class JsonSchemaSubset
{
    private static readonly HashSet<string> Annotations =
        ["$schema", "$id", "$comment", "title", "description", "format", "default", "examples", "readOnly", "writeOnly", "deprecated"];

    private string[]? _types;
    private JsonElement[]? _enum;
    private JsonElement? _const;
    private Regex? _pattern;
    private string? _patternText;
    private double? _minimum, _maximum, _exclusiveMinimum, _exclusiveMaximum;
    private int? _minLength, _maxLength, _minItems, _maxItems;
    private Dictionary<string, JsonSchemaSubset>? _properties;
    private string[] _required = [];
    private bool _additionalProperties = true;
    private JsonSchemaSubset? _items;

    private JsonSchemaSubset()
    {
    }

    /// <summary>Compiles a schema.</summary>
    /// <exception cref="FormatException">Not JSON, not an object, or a keyword this validator does not support (named, with its location).</exception>
    public static JsonSchemaSubset Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return Compile(document.RootElement.Clone(), "#");
        }
        catch (JsonException ex)
        {
            throw new FormatException("not valid JSON: " + ex.Message, ex);
        }
    }

    private static JsonSchemaSubset Compile(JsonElement element, string at)
    {
        if (element.ValueKind == JsonValueKind.True)
        {
            return new JsonSchemaSubset();
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"{at}: a schema must be an object or true");
        }

        var schema = new JsonSchemaSubset();
        foreach (var keyword in element.EnumerateObject())
        {
            var value = keyword.Value;
            var where = $"{at}/{keyword.Name}";
            switch (keyword.Name)
            {
                case "type":
                    schema._types = value.ValueKind == JsonValueKind.Array
                        ? [.. value.EnumerateArray().Select(t => TypeName(t, where))]
                        : [TypeName(value, where)];
                    break;
                case "enum":
                    schema._enum = value.ValueKind == JsonValueKind.Array ? [.. value.EnumerateArray()] : throw new FormatException($"{where}: must be an array");
                    break;
                case "const":
                    schema._const = value;
                    break;
                case "pattern":
                    schema._patternText = value.GetString();
                    try
                    {
                        schema._pattern = new Regex(schema._patternText!, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
                    }
                    catch (ArgumentException ex)
                    {
                        throw new FormatException($"{where}: not a valid pattern: {ex.Message}", ex);
                    }

                    break;
                case "minimum": schema._minimum = Number(value, where); break;
                case "maximum": schema._maximum = Number(value, where); break;
                case "exclusiveMinimum": schema._exclusiveMinimum = Number(value, where); break;
                case "exclusiveMaximum": schema._exclusiveMaximum = Number(value, where); break;
                case "minLength": schema._minLength = Count(value, where); break;
                case "maxLength": schema._maxLength = Count(value, where); break;
                case "minItems": schema._minItems = Count(value, where); break;
                case "maxItems": schema._maxItems = Count(value, where); break;
                case "properties":
                    schema._properties = value.EnumerateObject().ToDictionary(p => p.Name, p => Compile(p.Value, $"{where}/{p.Name}"), StringComparer.Ordinal);
                    break;
                case "required":
                    schema._required = [.. value.EnumerateArray().Select(r => r.GetString()!)];
                    break;
                case "additionalProperties":
                    schema._additionalProperties = value.ValueKind switch
                    {
                        JsonValueKind.True => true,
                        JsonValueKind.False => false,
                        _ => throw new FormatException($"{where}: only true or false is supported"),
                    };
                    break;
                case "items":
                    schema._items = Compile(value, where);
                    break;
                default:
                    if (!Annotations.Contains(keyword.Name))
                    {
                        throw new FormatException($"{where}: keyword '{keyword.Name}' is not supported (supported: type, properties, required, additionalProperties, enum, const, pattern, minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength, items, minItems, maxItems)");
                    }

                    break;
            }
        }

        return schema;
    }

    /// <summary>Checks <paramref name="value"/>; null when valid, else the failing field's path and the problem.</summary>
    public (string Field, string Problem)? Check(JsonElement value, string path = "")
    {
        if (_types is not null && !_types.Any(t => HasType(value, t)))
        {
            return (path, $"{Show(value)} is {Kind(value)}, not {string.Join(" or ", _types)}");
        }

        if (_const is { } constant && !JsonElement.DeepEquals(value, constant))
        {
            return (path, $"{Show(value)} is not {constant.GetRawText()}");
        }

        if (_enum is not null && !_enum.Any(e => JsonElement.DeepEquals(value, e)))
        {
            return (path, $"{Show(value)} is not one of {string.Join(", ", _enum.Select(e => e.GetRawText()))}");
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                var text = value.GetString()!;
                var length = text.EnumerateRunes().Count(); // JSON Schema counts code points
                if (length < (_minLength ?? 0) || length > (_maxLength ?? int.MaxValue))
                {
                    return (path, $"{Show(value)} has {length} characters, not {_minLength ?? 0} to {_maxLength?.ToString(CultureInfo.InvariantCulture) ?? "any number"}");
                }

                if (_pattern is not null && !Matches(text))
                {
                    return (path, $"{Show(value)} does not match the pattern {_patternText}");
                }

                break;
            case JsonValueKind.Number:
                var number = value.GetDouble();
                if (number < _minimum || number > _maximum || number <= _exclusiveMinimum || number >= _exclusiveMaximum)
                {
                    return (path, $"{Show(value)} is outside {Bounds()}");
                }

                break;
            case JsonValueKind.Object:
                foreach (var name in _required)
                {
                    if (!value.TryGetProperty(name, out _))
                    {
                        return (Join(path, name), "a value is required");
                    }
                }

                foreach (var property in value.EnumerateObject())
                {
                    if (_properties is not null && _properties.TryGetValue(property.Name, out var child))
                    {
                        if (child.Check(property.Value, Join(path, property.Name)) is { } failure)
                        {
                            return failure;
                        }
                    }
                    else if (!_additionalProperties)
                    {
                        return (Join(path, property.Name), "is not a field of this stream");
                    }
                }

                break;
            case JsonValueKind.Array:
                var items = value.GetArrayLength();
                if (items < (_minItems ?? 0) || items > (_maxItems ?? int.MaxValue))
                {
                    return (path, $"has {items} items, not {_minItems ?? 0} to {_maxItems?.ToString(CultureInfo.InvariantCulture) ?? "any number"}");
                }

                if (_items is not null)
                {
                    var i = 0;
                    foreach (var item in value.EnumerateArray())
                    {
                        if (_items.Check(item, $"{path}[{i++}]") is { } failure)
                        {
                            return failure;
                        }
                    }
                }

                break;
        }

        return null;
    }

    private bool Matches(string text)
    {
        try
        {
            return _pattern!.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    private string Bounds() => string.Join(" and ", new[]
    {
        _minimum is { } min ? $">= {min.ToString(CultureInfo.InvariantCulture)}" : null,
        _exclusiveMinimum is { } xmin ? $"> {xmin.ToString(CultureInfo.InvariantCulture)}" : null,
        _maximum is { } max ? $"<= {max.ToString(CultureInfo.InvariantCulture)}" : null,
        _exclusiveMaximum is { } xmax ? $"< {xmax.ToString(CultureInfo.InvariantCulture)}" : null,
    }.Where(b => b is not null));

    private static bool HasType(JsonElement value, string type) => type switch
    {
        "string" => value.ValueKind == JsonValueKind.String,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) && Math.Floor(d) == d,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        _ => value.ValueKind == JsonValueKind.Null,
    };

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => "null",
    };

    private static string Show(JsonElement value)
    {
        var raw = value.GetRawText();
        return raw.Length <= 64 ? raw : raw[..64] + "…";
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private static string TypeName(JsonElement value, string where)
    {
        var name = value.GetString();
        return name is "string" or "number" or "integer" or "boolean" or "object" or "array" or "null"
            ? name
            : throw new FormatException($"{where}: '{name}' is not a JSON Schema type");
    }

    private static double Number(JsonElement value, string where) =>
        value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw new FormatException($"{where}: must be a number");

    private static int Count(JsonElement value, string where) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n >= 0 ? n : throw new FormatException($"{where}: must be a non-negative integer");
}
