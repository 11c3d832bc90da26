using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Oxbow.Streams;

/// <summary>
/// One field of a typed stream, read from its property once: a compiled getter and the checks its attributes ask for.
/// Validating an entry then runs delegates and comparisons only; reflection happens once per type.
/// </summary>
internal sealed class StreamField
{
    private readonly Func<object, object?> _get;
    private readonly bool _required;
    private readonly double? _minimum;
    private readonly double? _maximum;
    private readonly int? _minLength;
    private readonly int? _maxLength;
    private readonly Regex? _pattern;
    private readonly string? _patternText;
    private readonly HashSet<string>? _allowed;
    private readonly Type _valueType;
    private readonly Dictionary<object, string>? _enumNames;

    private StreamField(PropertyInfo property)
    {
        Name = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? SnakeCase(property.Name);
        var underlying = Nullable.GetUnderlyingType(property.PropertyType);
        _valueType = underlying ?? property.PropertyType;

        // (object entry) => (object?)((T)entry).Property, compiled once.
        var entry = Expression.Parameter(typeof(object), "entry");
        var read = Expression.Property(Expression.Convert(entry, property.DeclaringType!), property);
        _get = Expression.Lambda<Func<object, object?>>(Expression.Convert(read, typeof(object)), entry).Compile();

        _required = property.GetCustomAttribute<RequiredAttribute>() is not null;
        if (property.GetCustomAttribute<RangeAttribute>() is { } range)
        {
            _minimum = System.Convert.ToDouble(range.Minimum, CultureInfo.InvariantCulture);
            _maximum = System.Convert.ToDouble(range.Maximum, CultureInfo.InvariantCulture);
        }

        if (property.GetCustomAttribute<StringLengthAttribute>() is { } stringLength)
        {
            (_minLength, _maxLength) = (stringLength.MinimumLength, stringLength.MaximumLength);
        }

        if (property.GetCustomAttribute<LengthAttribute>() is { } length)
        {
            (_minLength, _maxLength) = (length.MinimumLength, length.MaximumLength);
        }

        _minLength = property.GetCustomAttribute<MinLengthAttribute>()?.Length ?? _minLength;
        _maxLength = property.GetCustomAttribute<MaxLengthAttribute>()?.Length ?? _maxLength;
        if (property.GetCustomAttribute<RegularExpressionAttribute>() is { } regex)
        {
            // Anchored as DataAnnotations and JSON Schema users expect of a whole-value pattern.
            _patternText = regex.Pattern;
            _pattern = new Regex(regex.Pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        }

        if (property.GetCustomAttribute<AllowedValuesAttribute>() is { } allowed)
        {
            _allowed = [.. allowed.Values.Select(v => Text(v))];
        }

        if (_valueType.IsEnum)
        {
            _enumNames = Enum.GetValues(_valueType).Cast<object>().ToDictionary(v => v, v => SnakeCase(v.ToString()!));
        }
    }

    /// <summary>The field's name in the event body.</summary>
    public string Name { get; }

    /// <summary>The fields of <paramref name="type"/>: its public readable instance properties, in declaration order.</summary>
    public static StreamField[] Of(Type type) =>
        [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && p.GetCustomAttribute<JsonIgnoreAttribute>() is null)
            .Select(p => new StreamField(p))];

    /// <summary>Reads and checks the field; returns the value to store (enums as their snake_case name), or null when absent.</summary>
    /// <exception cref="OxStreamValidationException">The value breaks a rule.</exception>
    public object? Read(object entry, string stream)
    {
        var value = _get(entry);
        if (value is null || (value is string s && s.Length == 0 && _required))
        {
            return _required ? throw Fail(stream, value, "a value", "a value is required") : null;
        }

        if (_enumNames is not null)
        {
            if (!_enumNames.TryGetValue(value, out var name))
            {
                throw Fail(stream, value, AllowedText(), $"{Quote(value)} is not one of {AllowedText()}");
            }

            value = name;
        }

        if (_allowed is not null && !_allowed.Contains(Text(value)))
        {
            throw Fail(stream, value, AllowedText(), $"{Quote(value)} is not one of {AllowedText()}");
        }

        if (_minimum is not null && IsNumber(value))
        {
            var number = System.Convert.ToDouble(value, CultureInfo.InvariantCulture);
            if (number < _minimum || number > _maximum)
            {
                var allowed = $"{_minimum.Value.ToString(CultureInfo.InvariantCulture)} to {_maximum!.Value.ToString(CultureInfo.InvariantCulture)}";
                throw Fail(stream, value, allowed, $"{Quote(value)} is outside {allowed}");
            }
        }

        if (value is string text)
        {
            if (text.Length < (_minLength ?? 0) || text.Length > (_maxLength ?? int.MaxValue))
            {
                var allowed = $"{_minLength ?? 0} to {_maxLength?.ToString(CultureInfo.InvariantCulture) ?? "any number of"} characters";
                throw Fail(stream, value, allowed, $"{Quote(value)} has {text.Length} characters, not {allowed}");
            }

            if (_pattern is not null && !IsWholeMatch(text))
            {
                throw Fail(stream, value, $"the pattern {_patternText}", $"{Quote(value)} does not match the pattern {_patternText}");
            }
        }

        return value;
    }

    /// <summary>This field's JSON Schema, as the collector checks it.</summary>
    public JsonObject Schema()
    {
        var schema = new JsonObject();
        if (_enumNames is not null)
        {
            schema["type"] = "string";
            schema["enum"] = new JsonArray([.. _enumNames.Values.Select(n => (JsonNode)n)]);
        }
        else
        {
            var jsonType = JsonType(_valueType);
            if (jsonType is not null)
            {
                schema["type"] = jsonType;
            }

            if (_valueType == typeof(DateTime) || _valueType == typeof(DateTimeOffset))
            {
                schema["format"] = "date-time";
            }
        }

        if (_allowed is not null)
        {
            schema["enum"] = new JsonArray([.. _allowed.Select(a => (JsonNode)a)]);
        }

        if (_minimum is not null)
        {
            schema["minimum"] = _minimum;
            schema["maximum"] = _maximum;
        }

        if (_minLength is > 0)
        {
            schema["minLength"] = _minLength;
        }
        else if (_required && _valueType == typeof(string))
        {
            schema["minLength"] = 1; // [Required] refuses empty strings too
        }

        if (_maxLength is not null)
        {
            schema["maxLength"] = _maxLength;
        }

        if (_patternText is not null)
        {
            // DataAnnotations match the whole value; JSON Schema patterns search, so anchor them to mean the same.
            schema["pattern"] = $"^(?:{_patternText})$";
        }

        return schema;
    }

    public bool IsRequired => _required;

    private bool IsWholeMatch(string text)
    {
        try
        {
            var match = _pattern!.Match(text);
            return match.Success && match.Index == 0 && match.Length == text.Length;
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    private string AllowedText() =>
        string.Join(", ", _allowed is not null ? _allowed : _enumNames!.Values);

    private OxStreamValidationException Fail(string stream, object? value, string allowed, string problem) =>
        new(stream, Name, value, allowed, problem);

    private static string? JsonType(Type type) =>
        type == typeof(string) || type == typeof(Guid) || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(char) ? "string"
        : type == typeof(bool) ? "boolean"
        : type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte) || type == typeof(uint) || type == typeof(ulong) || type == typeof(ushort) || type == typeof(sbyte) ? "integer"
        : type == typeof(double) || type == typeof(float) || type == typeof(decimal) ? "number"
        : null;

    private static bool IsNumber(object value) => value is int or long or short or byte or uint or ulong or ushort or sbyte or double or float or decimal;

    private static string Text(object? value) => value switch
    {
        null => "",
        Enum e => SnakeCase(e.ToString()),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Quote(object? value) => value is string or Enum ? $"\"{Text(value)}\"" : Text(value);

    /// <summary><c>CallsDevsApi</c> → <c>calls_devs_api</c>; <c>HTTPStatus</c> → <c>http_status</c>.</summary>
    internal static string SnakeCase(string name)
    {
        var text = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                var boundary = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1])));
                if (boundary && text.Length > 0 && text[^1] != '_')
                {
                    text.Append('_');
                }

                text.Append(char.ToLowerInvariant(c));
            }
            else
            {
                text.Append(c);
            }
        }

        return text.ToString();
    }
}
