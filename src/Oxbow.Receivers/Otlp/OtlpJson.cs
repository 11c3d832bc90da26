using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;

namespace Oxbow.Receivers.Otlp;

/// <summary>
/// OTLP/JSON (the specification's JSON encoding of the same messages). It differs from protobuf's canonical JSON in
/// one way that matters: trace and span ids are hex, not base64, so they are turned into base64 before protobuf's
/// parser reads the message. Unknown fields are ignored, as the specification asks of receivers.
/// </summary>
internal static class OtlpJson
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true).WithRecursionLimit(64));
    private static readonly HashSet<string> IdFields = ["traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"];

    /// <summary>Parses <paramref name="utf8"/> as <typeparamref name="T"/>.</summary>
    /// <exception cref="FormatException">Not JSON, or not this message; the text says where.</exception>
    public static T Parse<T>(ReadOnlySpan<byte> utf8)
        where T : IMessage<T>, new()
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(utf8, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw new FormatException("not JSON: " + ex.Message, ex);
        }

        if (root is not JsonObject)
        {
            throw new FormatException("the body must be a JSON object");
        }

        HexIdsToBase64(root);
        try
        {
            return Parser.Parse<T>(root.ToJsonString());
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new FormatException(ex.Message, ex);
        }
        catch (InvalidJsonException ex)
        {
            throw new FormatException(ex.Message, ex);
        }
    }

    private static void HexIdsToBase64(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj.ToList())
                {
                    if (value is JsonValue id && IdFields.Contains(name) && id.TryGetValue<string>(out var hex))
                    {
                        obj[name] = hex.Length % 2 == 0 && hex.All(char.IsAsciiHexDigit) ? Convert.ToBase64String(Convert.FromHexString(hex)) : "";
                    }
                    else if (value is not null)
                    {
                        HexIdsToBase64(value);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    if (item is not null)
                    {
                        HexIdsToBase64(item);
                    }
                }

                break;
        }
    }
}
