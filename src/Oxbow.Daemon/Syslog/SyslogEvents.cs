using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Oxbow.Codec;

namespace Oxbow.Daemon.Syslog;

/// <summary>
/// Turns a parsed syslog message into an event line for the ingest pipeline (which assigns the id and normalizes
/// it). A CEE payload (<c>@cee: {json}</c>) becomes the event's fields; CEE's own keys (<c>time</c>, <c>host</c>,
/// <c>pname</c>, <c>pid</c>, <c>msg</c>, …) and Oxbow's (<c>id</c>, <c>type</c>, <c>level</c>, trace ids) fill the
/// envelope, so an event sent by Oxbow's syslog sink arrives with its own id, type and trace. Any other message is
/// kept whole as <c>message</c>. The syslog header goes under <c>syslog</c>: facility, severity, msgid and the
/// structured data as <c>sd.&lt;id&gt;.&lt;param&gt;</c>.
/// </summary>
internal static class SyslogEvents
{
    private const string CeeCookie = "@cee:";

    /// <summary>Writes the event for <paramref name="m"/> as one JSON line (with its newline) to <paramref name="output"/>.</summary>
    public static void Write(SyslogMessage m, SyslogPolicy policy, string sender, DateTime arrivalUtc, IBufferWriter<byte> output)
    {
        JsonDocument? cee = null;
        var text = m.Message.AsSpan().TrimStart(' ');
        if (text.StartsWith(CeeCookie, StringComparison.Ordinal))
        {
            try
            {
                cee = JsonDocument.Parse(text[CeeCookie.Length..].ToString(), new JsonDocumentOptions { MaxDepth = 64 });
                if (cee.RootElement.ValueKind != JsonValueKind.Object)
                {
                    cee.Dispose();
                    cee = null;
                }
            }
            catch (JsonException)
            {
                // Not JSON after all: the message is kept as text.
            }
        }

        using (cee)
        {
            var envelope = new Envelope
            {
                Type = policy.DefaultType,
                End = (m.Time?.UtcDateTime ?? arrivalUtc).ToString("O", CultureInfo.InvariantCulture),
                Level = m.Level,
                Host = m.Host ?? sender,
                App = m.App,
                Pid = m.Pid,
            };
            var oxbowData = m.StructuredData.FirstOrDefault(e => e.Id.StartsWith("oxbow@", StringComparison.Ordinal));
            if (oxbowData is not null)
            {
                foreach (var (name, value) in oxbowData.Parameters)
                {
                    envelope.Take(name, value);
                }
            }

            using var json = new Utf8JsonWriter(output);
            json.WriteStartObject();
            var body = new ArrayBufferWriter<byte>(256);
            using (var fields = new Utf8JsonWriter(body))
            {
                fields.WriteStartObject();
                if (cee is not null)
                {
                    WriteCeeFields(cee.RootElement, envelope, fields);
                }
                else
                {
                    fields.WriteString("message", m.Message);
                }

                WriteSyslogHeader(m, oxbowData, fields);
                fields.WriteEndObject();
            }

            // A syslog sender has no token: the type it names is kept under the policy's prefix, never outside it.
            envelope.Type = policy.Confine(envelope.Type);
            envelope.WriteTo(json);
            json.WritePropertyName("body");
            json.WriteRawValue(body.WrittenSpan, skipInputValidation: true);
            json.WriteEndObject();
        }

        output.Write("\n"u8);
    }

    private static void WriteCeeFields(JsonElement root, Envelope envelope, Utf8JsonWriter fields)
    {
        string? msg = null;
        var hasText = false;
        double? duration = null;
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "msg":
                    msg = value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();
                    continue;
                case "duration" when value.ValueKind == JsonValueKind.Number:
                    duration = value.GetDouble();
                    continue;
                case "pid" when value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var pid):
                    envelope.Pid = pid;
                    continue;
                case "pri":
                    continue; // the header's PRI already says it
                case "time" or "p_proc" or "pname" or "p_sys" or "host" or "level" or "id" or "type" or "trace_id" or "span_id"
                    when value.ValueKind == JsonValueKind.String:
                    envelope.Take(property.Name, value.GetString()!);
                    continue;
            }

            // Oxbow's CEE renderer writes body fields named like a core field as field_<name>: undo that.
            var name = property.Name;
            if (name.StartsWith("field_", StringComparison.Ordinal) && Rendering.CeeRenderer.IsCoreField(name[6..]))
            {
                name = name[6..];
            }

            hasText |= name is "event" or "message";
            fields.WritePropertyName(name);
            value.WriteTo(fields);
        }

        // CEE's msg is the message; Oxbow's renderer fills it from event/message (already fields) or the type.
        if (msg is not null && !hasText && msg != envelope.Type)
        {
            fields.WriteString("message", msg);
        }

        if (duration is { } seconds && DateTime.TryParse(envelope.End, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var end))
        {
            envelope.Start = Timestamps.TruncateToMicroseconds(end.ToUniversalTime() - TimeSpan.FromSeconds(seconds)).ToString("O", CultureInfo.InvariantCulture);
        }
    }

    private static void WriteSyslogHeader(SyslogMessage m, StructuredDataElement? oxbowData, Utf8JsonWriter fields)
    {
        fields.WriteStartObject("syslog");
        fields.WriteString("facility", m.FacilityName);
        fields.WriteString("severity", m.SeverityName);
        if (m.MessageId is not null)
        {
            fields.WriteString("msgid", m.MessageId);
        }

        var others = m.StructuredData.Where(e => !ReferenceEquals(e, oxbowData)).ToList();
        if (others.Count > 0)
        {
            fields.WriteStartObject("sd");
            foreach (var element in others)
            {
                fields.WriteStartObject(element.Id);
                foreach (var (name, value) in element.Parameters)
                {
                    fields.WriteString(name, value);
                }

                fields.WriteEndObject();
            }

            fields.WriteEndObject();
        }

        fields.WriteEndObject();
    }

    /// <summary>The envelope fields, filled from the header, then Oxbow's structured data, then CEE (which wins).</summary>
    private sealed class Envelope
    {
        public required string Type { get; set; }

        public string? Id { get; set; }

        public string? Start { get; set; }

        public required string End { get; set; }

        public OxLevel Level { get; set; }

        public string? Host { get; set; }

        public string? App { get; set; }

        public int? Pid { get; set; }

        public string? TraceId { get; set; }

        public string? SpanId { get; set; }

        /// <summary>Applies a named value where it is valid; an invalid one is ignored (the header's value stands).</summary>
        public void Take(string name, string value)
        {
            switch (name)
            {
                case "type" when EventType.IsValid(value):
                    Type = value;
                    break;
                case "id" when OxId.IsValid(value):
                    Id = value;
                    break;
                case "level" when OxLevels.TryParse(value, out var level):
                    Level = level;
                    break;
                case "time" when DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time):
                    End = time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
                    break;
                case "host" or "p_sys" when value.Length > 0:
                    Host = value;
                    break;
                case "pname" or "p_proc" when value.Length > 0:
                    App = value;
                    break;
                case "trace_id" when IsHex(value, 32):
                    TraceId = value;
                    break;
                case "span_id" when IsHex(value, 16):
                    SpanId = value;
                    break;
            }
        }

        public void WriteTo(Utf8JsonWriter json)
        {
            json.WriteString("type", Type);
            if (Id is not null)
            {
                json.WriteString("id", Id);
            }

            if (Start is not null)
            {
                json.WriteString("start", Start);
            }

            json.WriteString("end", End);
            json.WriteString("level", OxLevels.Name(Level));
            if (Host is not null)
            {
                json.WriteString("host", Host);
            }

            if (App is not null)
            {
                json.WriteString("app", App);
            }

            if (Pid is { } pid)
            {
                json.WriteNumber("pid", pid);
            }

            if (TraceId is not null)
            {
                json.WriteString("trace_id", TraceId);
            }

            if (SpanId is not null)
            {
                json.WriteString("span_id", SpanId);
            }
        }

        private static bool IsHex(string value, int length) => value.Length == length && value.All(char.IsAsciiHexDigitLower);
    }
}
