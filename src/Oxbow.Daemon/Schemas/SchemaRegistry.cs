using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Oxbow.Store.Events;
using Oxbow.Transport;

namespace Oxbow.Daemon.Schemas;

/// <summary>
/// The streams whose bodies the collector checks: one JSON Schema per event type, loaded from
/// <c>DIR/&lt;type&gt;.schema.json</c> (what <c>OxStream&lt;T&gt;.WriteSchemaFile</c> writes). Types without a
/// schema pass unchecked.
/// </summary>
internal sealed class SchemaRegistry
{
    /// <summary>Where events that fail their schema go, with the reason.</summary>
    public const string DeadLetterType = "dead_letter";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Dictionary<string, JsonSchemaSubset> _schemas;
    private readonly Dictionary<string, JsonSchemaSubset>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    private SchemaRegistry(Dictionary<string, JsonSchemaSubset> schemas)
    {
        _schemas = schemas;
        _lookup = schemas.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public static SchemaRegistry Empty { get; } = new(new Dictionary<string, JsonSchemaSubset>(StringComparer.Ordinal));

    public IReadOnlyCollection<string> Types => _schemas.Keys;

    /// <summary>Loads every <c>*.schema.json</c> in <paramref name="directory"/>.</summary>
    /// <exception cref="FormatException">A file is not a usable schema or its name is not a type; the message names the file and the problem.</exception>
    public static SchemaRegistry Load(string directory)
    {
        var schemas = new Dictionary<string, JsonSchemaSubset>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(directory, "*.schema.json").Order(StringComparer.Ordinal))
        {
            var type = Path.GetFileName(file)[..^".schema.json".Length];
            if (!Oxbow.EventType.IsValid(type) || type == DeadLetterType)
            {
                throw new FormatException($"{file}: '{type}' is not a type name a schema can be registered for");
            }

            try
            {
                schemas[type] = JsonSchemaSubset.Parse(File.ReadAllText(file));
            }
            catch (FormatException ex)
            {
                throw new FormatException($"{file}: {ex.Message}", ex);
            }
        }

        return new SchemaRegistry(schemas);
    }

    /// <summary>
    /// Checks the canonical lines of a batch. Valid lines and lines of unchecked types are kept as they are. An invalid
    /// line is either refused (<paramref name="deadLetter"/> false: the whole batch fails, naming the line and field,
    /// as HTTP ingest answers 400) or rewritten as a <see cref="DeadLetterType"/> event with the reason.
    /// </summary>
    /// <exception cref="ProtocolException"><see cref="RejectReason.InvalidEvent"/>, when refusing.</exception>
    public ReadOnlyMemory<byte> Apply(ReadOnlyMemory<byte> data, bool deadLetter, out int invalid)
    {
        invalid = 0;
        if (_schemas.Count == 0)
        {
            return data;
        }

        ArrayBufferWriter<byte>? output = null;
        var lineNumber = 0;
        var offset = 0;
        Span<char> typeChars = stackalloc char[Oxbow.EventType.MaxLength];
        foreach (var line in new Sinks.EventBatch(data, 0))
        {
            lineNumber++;
            var lineStart = offset;
            offset += line.Length + 1;
            if (!CanonicalLine.TryParse(line, out var canonical))
            {
                continue;
            }

            var n = Encoding.ASCII.GetChars(canonical.Type, typeChars);
            if (!_lookup.TryGetValue(typeChars[..n], out var schema))
            {
                output?.Write(data.Span.Slice(lineStart, Math.Min(line.Length + 1, data.Length - lineStart)));
                continue;
            }

            using var document = JsonDocument.Parse(data.Slice(lineStart, line.Length));
            var root = document.RootElement;
            var body = root.TryGetProperty("body", out var b) ? b : default;
            var failure = body.ValueKind == JsonValueKind.Object ? schema.Check(body) : ("", "the event has no body");
            if (failure is null)
            {
                output?.Write(data.Span.Slice(lineStart, Math.Min(line.Length + 1, data.Length - lineStart)));
                continue;
            }

            var type = typeChars[..n].ToString();
            var (field, problem) = failure.Value;
            var reason = field.Length == 0 ? $"{type}: {problem}" : $"{type}.{field}: {problem}";
            if (!deadLetter)
            {
                throw new ProtocolException(RejectReason.InvalidEvent, $"line {lineNumber}: {reason}");
            }

            invalid++;
            if (output is null)
            {
                output = new ArrayBufferWriter<byte>(data.Length + 256);
                output.Write(data.Span[..lineStart]);
            }

            WriteDeadLetter(root, type, field, reason, output);
        }

        return output?.WrittenMemory ?? data;
    }

    /// <summary>The event under <see cref="DeadLetterType"/>: same envelope, body <c>{stream, field, reason, body}</c>.</summary>
    private static void WriteDeadLetter(JsonElement root, string type, string field, string reason, ArrayBufferWriter<byte> output)
    {
        using (var json = new Utf8JsonWriter(output, WriterOptions))
        {
            json.WriteStartObject();
            foreach (var property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "type":
                        json.WriteString("type", DeadLetterType);
                        break;
                    case "body":
                        json.WriteStartObject("body");
                        json.WriteString("stream", type);
                        json.WriteString("field", field);
                        json.WriteString("reason", reason);
                        json.WritePropertyName("body");
                        property.Value.WriteTo(json);
                        json.WriteEndObject();
                        break;
                    default:
                        property.WriteTo(json);
                        break;
                }
            }

            json.WriteEndObject();
        }

        output.Write("\n"u8);
    }
}
