using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Oxbow.Shipper;

/// <summary>
/// Turns a line (or a multi-line record) into one event line for the collector's ingest. A JSON object becomes the
/// event's fields, and its <c>level</c> and <c>time</c>/<c>timestamp</c>/<c>@timestamp</c>/<c>ts</c> set the event's
/// level and time when valid; anything else is kept as <c>message</c>. Bytes that are not UTF-8 become U+FFFD, and a
/// record longer than the limit is cut and marked <c>truncated</c>, so the collector never refuses a batch for one line.
/// </summary>
internal sealed class LineEvents(string host, string app, int maxRecordBytes)
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly string[] TimeKeys = ["time", "timestamp", "@timestamp", "ts"];

    /// <summary>Appends the event for <paramref name="record"/> (with its newline) to <paramref name="output"/>.</summary>
    public void Write(string type, ReadOnlySpan<byte> record, string? source, IBufferWriter<byte> output)
    {
        var truncated = record.Length > maxRecordBytes;
        if (truncated)
        {
            record = record[..maxRecordBytes];
        }

        var text = Encoding.UTF8.GetString(record).TrimEnd('\r');
        using (var json = new Utf8JsonWriter(output, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("type", type);
            JsonDocument? document = null;
            if (!truncated && text.StartsWith('{'))
            {
                try
                {
                    document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 64 });
                    if (document.RootElement.ValueKind != JsonValueKind.Object)
                    {
                        document.Dispose();
                        document = null;
                    }
                }
                catch (JsonException)
                {
                    // Not JSON after all: kept as text.
                }
            }

            using (document)
            {
                if (document is not null)
                {
                    WriteEnvelopeFrom(document.RootElement, json);
                }

                json.WriteString("host", host);
                json.WriteString("app", app);
                json.WriteStartObject("body");
                if (document is not null)
                {
                    foreach (var property in document.RootElement.EnumerateObject())
                    {
                        property.WriteTo(json);
                    }
                }
                else
                {
                    json.WriteString("message", text);
                }

                if (truncated)
                {
                    json.WriteBoolean("truncated", true);
                }

                if (source is not null)
                {
                    json.WriteString("source", source);
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        output.Write("\n"u8);
    }

    private static void WriteEnvelopeFrom(JsonElement root, Utf8JsonWriter json)
    {
        if (root.TryGetProperty("level", out var level) && level.ValueKind == JsonValueKind.String && OxLevels.TryParse(level.GetString()!, out var parsed))
        {
            json.WriteString("level", OxLevels.Name(parsed));
        }

        foreach (var key in TimeKeys)
        {
            if (root.TryGetProperty(key, out var time) && time.ValueKind == JsonValueKind.String
                && DateTimeOffset.TryParse(time.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var end)
                && end.Year is >= 1970 and <= 9999)
            {
                json.WriteString("end", Timestamps.Format(Timestamps.TruncateToMicroseconds(end.UtcDateTime)));
                return;
            }
        }
    }
}
