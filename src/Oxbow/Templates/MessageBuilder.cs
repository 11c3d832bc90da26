using System.Text.Json;
using Oxbow.Codec;
using Oxbow.Pipeline;

namespace Oxbow.Templates;

/// <summary>
/// Collects one message event as it is appended, piece by piece, from an interpolated string or a template: the
/// template text, the rendered message and each hole as a typed field, all as escaped UTF-8 ready to copy into the
/// line. Nothing is boxed for the common value types and nothing is allocated once a thread has its builder.
/// </summary>
/// <remarks>
/// A builder belongs to one call on one thread from <see cref="Rent"/> to <see cref="Return"/>. Argument expressions
/// run between appends and may log themselves, so a nested call finds no spare builder and gets a new one; a call
/// abandoned by an exception simply never gives its builder back.
/// </remarks>
internal sealed class MessageBuilder
{
    /// <summary>Names of the first holes are kept in an array; more than this many need a list (allocated once per builder).</summary>
    public const int MaxFastHoles = 16;

    [ThreadStatic] private static MessageBuilder? t_spare;

    private readonly string[] _names = new string[MaxFastHoles];
    private List<string>? _moreNames;

    public Utf8EventWriter Template { get; } = new(256);

    public Utf8EventWriter Message { get; } = new(256);

    /// <summary><c>,"name":value</c> for each distinct hole, in order.</summary>
    public Utf8EventWriter Fields { get; } = new(256);

    public KeyCache Keys { get; private set; } = KeyCache.Default;

    /// <summary>The template as the caller wrote it, when there was one (positional templates); else it is built in <see cref="Template"/>.</summary>
    public string? GivenTemplate { get; private set; }

    /// <summary>True when a name has a dot: it must nest, which the fast path cannot do.</summary>
    public bool HasDottedName { get; private set; }

    public int NameCount { get; private set; }

    /// <summary>A builder for a call on this thread: the spare one when it is free.</summary>
    public static MessageBuilder Rent(OxLogger logger)
    {
        var builder = t_spare ?? new MessageBuilder();
        t_spare = null;
        builder.Reset(logger.Floor.Scope.Pipeline?.Keys ?? KeyCache.Default);
        return builder;
    }

    /// <summary>Gives the builder back once its event is written.</summary>
    public static void Return(MessageBuilder builder)
    {
        builder.Template.TrimTo(16 * 1024);
        builder.Message.TrimTo(16 * 1024);
        builder.Fields.TrimTo(16 * 1024);
        t_spare = builder;
    }

    private void Reset(KeyCache keys)
    {
        Keys = keys;
        Template.Reset();
        Message.Reset();
        Fields.Reset();
        GivenTemplate = null;
        HasDottedName = false;
        NameCount = 0;
        _moreNames?.Clear();
    }

    public string NameAt(int index) => index < MaxFastHoles ? _names[index] : _moreNames![index - MaxFastHoles];

    public bool HasName(string name)
    {
        for (var i = 0; i < NameCount; i++)
        {
            var known = NameAt(i);
            if (ReferenceEquals(known, name) || known == name)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Uses <paramref name="template"/> as the event's template instead of building one from the pieces.</summary>
    public void UseTemplate(string template) => GivenTemplate = template;

    public void Literal(ReadOnlySpan<char> text)
    {
        Message.StringContent(text);
        if (GivenTemplate is null)
        {
            // Braces in literal text are doubled in a template, so the template reads back as the same message.
            foreach (var piece in new BraceSplitter(text))
            {
                Template.StringContent(piece);
            }
        }
    }

    /// <summary>Renders <paramref name="value"/> into the message and records it as the field <paramref name="name"/>.</summary>
    public void Hole<T>(T value, string name, int alignment, string? format, HoleCapture capture)
    {
        var entry = Keys.Get(name);
        var redacted = entry.Redact && !Utf8EventWriter.IsEmpty(value);
        if (redacted)
        {
            ValueText.Pad(Message, RedactionPolicy.Replacement, alignment);
        }
        else
        {
            ValueText.Write(Message, value, format, alignment);
        }

        if (GivenTemplate is null)
        {
            AppendHoleToTemplate(name, alignment, format, capture);
        }

        if (HasName(name))
        {
            return; // the same value twice in one message is one field
        }

        AddName(name);
        HasDottedName |= entry.Dotted;
        Fields.Raw(entry.SeparatedName);
        if (redacted)
        {
            Fields.String(RedactionPolicy.Replacement);
        }
        else if (capture == HoleCapture.Stringify)
        {
            ValueText.WriteAsJsonString(Fields, value, format);
        }
        else
        {
            Fields.Value(value, Keys);
        }
    }

    private void AppendHoleToTemplate(string name, int alignment, string? format, HoleCapture capture)
    {
        Template.Byte((byte)'{');
        if (capture == HoleCapture.Stringify)
        {
            Template.Byte((byte)'$');
        }

        Template.StringContent(name);
        if (alignment != 0)
        {
            Template.Byte((byte)',');
            Template.Int64(alignment);
        }

        if (!string.IsNullOrEmpty(format))
        {
            Template.Byte((byte)':');
            Template.StringContent(format);
        }

        Template.Byte((byte)'}');
    }

    private void AddName(string name)
    {
        if (NameCount < MaxFastHoles)
        {
            _names[NameCount] = name;
        }
        else
        {
            (_moreNames ??= []).Add(name);
        }

        NameCount++;
    }

    /// <summary>Writes <c>"event":…,"template":…,"message":…</c> and the fields, the body's members for a message.</summary>
    public void WriteBody(Utf8EventWriter w)
    {
        if (GivenTemplate is not null)
        {
            var quoted = Keys.Get(GivenTemplate).QuotedString;
            w.Raw("\"event\":"u8);
            w.Raw(quoted);
            w.Raw(",\"template\":"u8);
            w.Raw(quoted);
        }
        else
        {
            w.Raw("\"event\":\""u8);
            w.Raw(Template.WrittenSpan);
            w.Raw("\",\"template\":\""u8);
            w.Raw(Template.WrittenSpan);
            w.Byte((byte)'"');
        }

        w.Raw(",\"message\":\""u8);
        w.Raw(Message.WrittenSpan);
        w.Byte((byte)'"');
        w.Raw(Fields.WrittenSpan);
    }

    /// <summary>The body's members as values, for the path that builds an event object (processors, exceptions, dotted names).</summary>
    public List<KeyValuePair<string, object?>> ToFieldList()
    {
        var template = GivenTemplate ?? DecodeString(Template.WrittenSpan);
        var list = new List<KeyValuePair<string, object?>>(NameCount + 3)
        {
            new("event", template),
            new("template", template),
            new("message", DecodeString(Message.WrittenSpan)),
        };

        var fields = new byte[Fields.Length + 1];
        fields[0] = (byte)'{';
        Fields.WrittenSpan[1..].CopyTo(fields.AsSpan(1));
        fields[^1] = (byte)'}';
        if (Fields.Length > 0)
        {
            using var document = JsonDocument.Parse(fields);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                list.Add(new(property.Name, CanonicalJson.FromElement(property.Value)));
            }
        }

        return list;
    }

    private static string DecodeString(ReadOnlySpan<byte> escaped)
    {
        var quoted = new byte[escaped.Length + 2];
        quoted[0] = (byte)'"';
        escaped.CopyTo(quoted.AsSpan(1));
        quoted[^1] = (byte)'"';
        var reader = new Utf8JsonReader(quoted);
        reader.Read();
        return reader.GetString()!;
    }
}

/// <summary>How a hole's value becomes a field: as its value (objects captured as nested objects) or as its text.</summary>
internal enum HoleCapture
{
    /// <summary>Primitives as themselves, other objects captured by their public properties (Serilog's <c>{@Name}</c>).</summary>
    Default,

    /// <summary>The value's text (Serilog's <c>{$Name}</c>).</summary>
    Stringify,
}

/// <summary>Splits literal text so that each brace comes out doubled: <c>a{b</c> gives <c>a{</c>, <c>{b</c>.</summary>
internal ref struct BraceSplitter(ReadOnlySpan<char> text)
{
    private ReadOnlySpan<char> _rest = text;
    private bool _pendingBrace;
    private char _brace;

    public ReadOnlySpan<char> Current { get; private set; }

    public readonly BraceSplitter GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_pendingBrace)
        {
            _pendingBrace = false;
            Current = _brace == '{' ? "{" : "}";
            return true;
        }

        if (_rest.IsEmpty)
        {
            return false;
        }

        var at = _rest.IndexOfAny('{', '}');
        if (at < 0)
        {
            Current = _rest;
            _rest = default;
            return true;
        }

        Current = _rest[..(at + 1)];
        _brace = _rest[at];
        _pendingBrace = true;
        _rest = _rest[(at + 1)..];
        return true;
    }
}
