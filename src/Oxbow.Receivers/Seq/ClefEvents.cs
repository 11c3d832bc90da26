using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Oxbow.Codec;
using Oxbow.Receivers.Events;

namespace Oxbow.Receivers.Seq;

/// <summary>How Seq's events become Oxbow events. Every default is what docs/event-format.md ("Seq") documents.</summary>
internal sealed record ClefMapping
{
    /// <summary>The event type. Default <c>log</c>; a key scoped to exactly one type writes that type instead.</summary>
    public string Type { get; init; } = "log";

    /// <summary>An event larger than this (bytes) is refused alone. Default 1 MiB.</summary>
    public int MaxEventBytes { get; init; } = 1 << 20;
}

/// <summary>
/// Seq's ingest formats as events (docs/event-format.md, "Seq"): CLEF (<c>application/vnd.serilog.clef</c>, one JSON
/// object a line) and the older <c>{"Events":[…]}</c> body. <c>@t</c> is <c>end</c>, <c>@l</c> the level (Serilog's
/// names; absent is Information), <c>@mt</c> the <c>template</c>, <c>@m</c> the <c>message</c> (rendered from the
/// template when absent), <c>@x</c> the structured exception, <c>@i</c> the <c>event_id</c>, <c>@tr</c>/<c>@sp</c> the
/// trace and span ids, and every other property a field (a leading <c>@@</c> is a literal <c>@</c>). The enrichers'
/// <c>MachineName</c>, <c>Application</c> and <c>ProcessId</c> fill the envelope. A line that cannot be an event is
/// refused alone, with its reason, and the rest are kept, as Seq does.
/// </summary>
internal static class ClefEvents
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };

    /// <summary>Maps a request body.</summary>
    /// <param name="body">The body.</param>
    /// <param name="clef">True for CLEF lines; false for the <c>{"Events":[…]}</c> body.</param>
    /// <param name="mapping">The mapping.</param>
    /// <param name="problems">Each refused line's reason (1-based line or event number).</param>
    /// <exception cref="FormatException">The <c>{"Events":[…]}</c> body is not that shape, or not JSON.</exception>
    public static ReceivedEvents Map(ReadOnlyMemory<byte> body, bool clef, ClefMapping mapping, List<string> problems)
    {
        var output = new PooledBufferWriter(Math.Max(256, body.Length * 2));
        try
        {
            var state = new MapState(new EventLineWriter(output), mapping, problems, clef);
            using (state.Writer)
            using (state.Rendered)
            {
                if (clef)
                {
                    MapLines(state, body);
                }
                else
                {
                    MapEventsBody(state, body);
                }
            }

            return new ReceivedEvents(output.WrittenMemory, state.Events, problems.Count, problems.Count == 0 ? null : problems[0], output);
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    private sealed class MapState(EventLineWriter writer, ClefMapping mapping, List<string> problems, bool clef)
    {
        public EventLineWriter Writer { get; } = writer;

        public ClefMapping Mapping { get; } = mapping;

        public List<string> Problems { get; } = problems;

        public bool Clef { get; } = clef;

        public ClefObject Event { get; } = new();

        public ClefObject Properties { get; } = new();

        public FieldTree<ClefProperty> Fields { get; } = new();

        public StringBuilder Text { get; } = new();

        /// <summary>A message rendered as JSON text (<see cref="MessageTemplate.TryRenderJson"/>).</summary>
        public PooledBufferWriter Rendered { get; } = new(256);

        public int Events { get; set; }

        /// <summary>Where a problem was, for its reason: "line 3" or "event 3".</summary>
        public string Where(int number) => $"{(Clef ? "line" : "event")} {number}";
    }

    private static void MapLines(MapState state, ReadOnlyMemory<byte> body)
    {
        var number = 0;
        while (!body.IsEmpty)
        {
            number++;
            var newline = body.Span.IndexOf((byte)'\n');
            var line = newline < 0 ? body : body[..newline];
            body = newline < 0 ? ReadOnlyMemory<byte>.Empty : body[(newline + 1)..];
            if (line.Span.Trim(" \t\r"u8).IsEmpty)
            {
                continue;
            }

            if (!Utf8.IsValid(line.Span))
            {
                state.Problems.Add($"line {number}: not valid UTF-8");
                continue;
            }

            try
            {
                if (!state.Event.Read(line, ClefNames.Clef))
                {
                    state.Problems.Add($"line {number}: an event must be a JSON object");
                    continue;
                }
            }
            catch (JsonException ex)
            {
                state.Problems.Add($"line {number}: invalid JSON ({ex.Message})");
                continue;
            }

            state.Events += Write(state, line.Span, number) ? 1 : 0;
        }
    }

    private static void MapEventsBody(MapState state, ReadOnlyMemory<byte> body)
    {
        if (!Utf8.IsValid(body.Span))
        {
            throw new FormatException("invalid JSON: the body is not valid UTF-8");
        }

        try
        {
            var reader = new Utf8JsonReader(body.Span, Options);
            var found = false;
            var number = 0;
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isEvents = reader.ValueTextEquals("Events"u8);
                    reader.Read();
                    if (!isEvents || reader.TokenType != JsonTokenType.StartArray)
                    {
                        reader.Skip();
                        continue;
                    }

                    found = true;
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        number++;
                        var start = (int)reader.TokenStartIndex;
                        var isObject = reader.TokenType == JsonTokenType.StartObject;
                        reader.Skip();
                        var item = body[start..(int)reader.BytesConsumed];
                        if (!isObject || !state.Event.Read(item, ClefNames.Older))
                        {
                            state.Problems.Add($"event {number}: an event must be a JSON object");
                            continue;
                        }

                        state.Events += Write(state, item.Span, number) ? 1 : 0;
                    }
                }
            }

            while (reader.Read())
            {
            }

            if (!found)
            {
                throw new FormatException("the body must be {\"Events\": [...]} (or CLEF lines with Content-Type: application/vnd.serilog.clef)");
            }
        }
        catch (JsonException ex)
        {
            throw new FormatException("invalid JSON: " + ex.Message, ex);
        }
    }

    private static bool Write(MapState state, ReadOnlySpan<byte> source, int number)
    {
        var clef = state.Clef;
        var e = state.Event;
        if (UnicodeEscapes.FindLoneSurrogate(source) is var lone and >= 0)
        {
            // .NET and DuckDB refuse such text: stored, it would make its partition unreadable.
            state.Problems.Add($"{state.Where(number)}: invalid Unicode: a \\u escape at byte {lone} is half of a surrogate pair");
            return false;
        }

        ClefObject? properties = e;
        if (!clef)
        {
            properties = e.TryGet(ClefName.Properties, out var p) && p.Kind == JsonTokenType.StartObject && state.Properties.Read(p.Raw, ClefNames.Older) ? state.Properties : null;
        }

        if (!e.TryGet(ClefName.Time, out var timeValue) || timeValue.Kind != JsonTokenType.String)
        {
            state.Problems.Add($"{state.Where(number)}: {(clef ? "@t" : "Timestamp")} (the event's time) is missing");
            return false;
        }

        if (!TryParseTime(timeValue, out var end))
        {
            state.Problems.Add($"{state.Where(number)}: '{timeValue.String()}' is not a timestamp");
            return false;
        }

        var levelText = e.String(ClefName.Level);
        var hasTemplate = e.TryGet(ClefName.Template, out var templateValue) && templateValue.Kind == JsonTokenType.String;
        var message = e.String(ClefName.Message);
        var renderedJson = message is null && hasTemplate && MessageTemplate.TryRenderJson(templateValue, properties, state.Rendered);
        message ??= hasTemplate && !renderedJson ? MessageTemplate.Render(templateValue.String()!, properties, state.Text) : null;
        Span<char> traceId = stackalloc char[32];
        Span<char> spanId = stackalloc char[16];
        var app = properties?.String(ClefName.Application);
        var host = properties?.String(ClefName.MachineName);
        var pid = properties is not null && properties.TryGet(ClefName.ProcessId, out var pidValue) ? pidValue.Int64 : null;

        var json = state.Writer.Begin(state.Mapping.Type, null, end.UtcDateTime, LevelNames.FromText(levelText) ?? "info", host, pid, app,
            Hex(e, ClefName.TraceId, traceId), Hex(e, ClefName.SpanId, spanId));
        if (renderedJson)
        {
            // Rendered from JSON text into JSON text: it is valid by construction.
            json.WritePropertyName("message"u8);
            json.WriteRawValue(state.Rendered.WrittenSpan, skipInputValidation: true);
        }
        else if (message is not null)
        {
            json.WriteString("message"u8, message);
        }

        if (hasTemplate)
        {
            json.WritePropertyName("template"u8);
            json.WriteRawValue(templateValue.Raw.Span, skipInputValidation: true);
        }

        if (e.TryGet(ClefName.EventId, out var eventId) && eventId.Kind is JsonTokenType.String or JsonTokenType.Number)
        {
            json.WritePropertyName("event_id"u8);
            json.WriteRawValue(eventId.Raw.Span, skipInputValidation: true);
        }

        if (e.String(ClefName.Exception) is { } exception)
        {
            ExceptionText.Write(json, null, null, exception);
        }

        if (properties is not null)
        {
            var fields = state.Fields;
            fields.Clear();
            for (var i = 0; i < properties.Count; i++)
            {
                var property = properties[i];
                var name = property.Name;
                var span = name.Span;
                if (span.SequenceEqual("Application"u8) || span.SequenceEqual("MachineName"u8) || span.SequenceEqual("ProcessId"u8))
                {
                    continue;
                }

                if (span.Length > 0 && span[0] == '@')
                {
                    // CLEF reserves @-names for itself; "@@x" is a property called "@x".
                    if (!clef || span.Length < 2 || span[1] != '@')
                    {
                        continue;
                    }

                    name = name[1..];
                }

                fields.Add(name, property);
            }

            fields.WriteProperties(json, WriteValue);
        }

        if (!levelText.IsKnownLevel())
        {
            json.WriteString("level_name"u8, levelText);
        }

        if (!state.Writer.End(state.Mapping.MaxEventBytes))
        {
            state.Problems.Add($"{state.Where(number)}: the event is over {state.Mapping.MaxEventBytes} bytes");
            return false;
        }

        return true;
    }

    /// <summary>A value as it came; one spread over lines (the older body may be indented) is written on one.</summary>
    private static void WriteValue(Utf8JsonWriter json, ClefProperty value)
    {
        if (value.Raw.Span.IndexOfAny((byte)'\n', (byte)'\r') < 0)
        {
            json.WriteRawValue(value.Raw.Span, skipInputValidation: true);
            return;
        }

        using var document = JsonDocument.Parse(value.Raw);
        document.RootElement.WriteTo(json);
    }

    /// <summary>Serilog writes the round-trip form in UTC, read here without a string; anything else ISO-8601 is read too.</summary>
    private static bool TryParseTime(ClefProperty value, out DateTimeOffset time)
    {
        var plain = value.PlainString;
        if (plain.Length == 28 && plain[^1] == 'Z' && Utf8Parser.TryParse(plain, out DateTime utc, out var used, 'O') && used == plain.Length)
        {
            time = new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc));
            return true;
        }

        var text = value.String();
        return DateTimeOffset.TryParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out time)
            || DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out time);
    }

    private static bool IsKnownLevel(this string? text) => text is null || LevelNames.FromText(text) is not null;

    /// <summary>A trace or span id of <paramref name="hex"/>'s length in hex digits, lower-cased into it; empty otherwise.</summary>
    private static ReadOnlySpan<char> Hex(ClefObject e, ClefName name, Span<char> hex)
    {
        if (!e.TryGet(name, out var value))
        {
            return default;
        }

        var text = value.PlainString;
        if (text.Length != hex.Length)
        {
            return default;
        }

        for (var i = 0; i < text.Length; i++)
        {
            if (!char.IsAsciiHexDigit((char)text[i]))
            {
                return default;
            }

            hex[i] = char.ToLowerInvariant((char)text[i]);
        }

        return hex;
    }
}
