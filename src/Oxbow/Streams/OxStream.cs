using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Oxbow.Contexts;
using Oxbow.Pipeline;

namespace Oxbow.Streams;

/// <summary>
/// A typed stream: entries of <typeparamref name="T"/> (see <see cref="OxStreamAttribute"/>) become events of one
/// type, checked against the type's rules before anything is sent. The rules are read from the type once and kept
/// as compiled getters and plain checks, so validating an entry does not use reflection.
/// </summary>
/// <example>
/// <code>
/// [OxStream("postcode_search")]
/// public sealed record PostcodeSearch(
///     [property: Required, RegularExpression("[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}")] string Postcode,
///     Product Product,
///     bool CallsDevsApi);
///
/// OxStream&lt;PostcodeSearch&gt;.Emit(new("SW1A 1AA", Product.Tax, CallsDevsApi: false));
/// </code>
/// </example>
public static class OxStream<T>
    where T : class
{
    private static readonly Lazy<Shape> s_shape = new(Describe);

    /// <summary>The stream's event type.</summary>
    /// <exception cref="InvalidOperationException">The type's declaration is unusable (a bad name or pattern); the message says why.</exception>
    public static string Name => s_shape.Value.Name;

    /// <summary>
    /// Checks <paramref name="entry"/> and returns its fields as they would be sent.
    /// </summary>
    /// <exception cref="OxStreamValidationException">A field breaks a rule: the message names the stream, field, value and what is allowed.</exception>
    public static FieldMap Validate(T entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var shape = s_shape.Value;
        var body = new FieldMap();
        foreach (var field in shape.Fields)
        {
            if (field.Read(entry, shape.Name) is { } value)
            {
                body.Set(field.Name, value);
            }
        }

        return body;
    }

    /// <summary>
    /// Validates <paramref name="entry"/> and emits it as an event of type <see cref="Name"/>, carrying the current
    /// trace (the Activity's, else the context's), as log calls do. When Oxbow is not configured this only validates.
    /// </summary>
    /// <exception cref="OxStreamValidationException">The entry is invalid; nothing was sent.</exception>
    public static void Emit(T entry, OxLevel level = OxLevel.Info)
    {
        var body = Validate(entry);
        if (!Emitter.Destinations(level, out var pipeline, out var capture))
        {
            return;
        }

        var e = Emitter.PointEvent(null, s_shape.Value.Name, level, OxContext.Current, body);
        Emitter.Emit(e, pipeline, capture);
    }

    /// <summary>
    /// The stream's JSON Schema (draft 2020-12) for the event body, which a collector loads to check what it receives
    /// (<c>oxbow serve --schemas DIR</c>, file <c>&lt;type&gt;.schema.json</c>).
    /// </summary>
    public static string JsonSchema()
    {
        var shape = s_shape.Value;
        var properties = new JsonObject();
        foreach (var field in shape.Fields)
        {
            properties[field.Name] = field.Schema();
        }

        var schema = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["title"] = shape.Name,
            ["type"] = "object",
            ["properties"] = properties,
            ["required"] = new JsonArray([.. shape.Fields.Where(f => f.IsRequired).Select(f => (JsonNode)f.Name)]),
        };
        return schema.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Writes <see cref="JsonSchema"/> to <c>DIRECTORY/&lt;type&gt;.schema.json</c> and returns the path.</summary>
    public static string WriteSchemaFile(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, Name + ".schema.json");
        File.WriteAllText(path, JsonSchema() + "\n");
        return path;
    }

    private static Shape Describe()
    {
        var name = typeof(T).GetCustomAttribute<OxStreamAttribute>()?.Name ?? StreamField.SnakeCase(typeof(T).Name);
        if (EventType.Problem(name) is { } problem)
        {
            throw new InvalidOperationException($"{typeof(T).Name}: stream name '{name}' is not a valid event type: {problem}");
        }

        try
        {
            return new Shape(name, StreamField.Of(typeof(T)));
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"{typeof(T).Name}: {ex.Message}", ex);
        }
    }

    private sealed record Shape(string Name, StreamField[] Fields);
}
