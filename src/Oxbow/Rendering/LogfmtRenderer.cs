using System.Buffers;
using System.Text;

namespace Oxbow.Rendering;

/// <summary>
/// logfmt: <c>time=… level=info type=log id=… event=user_logged_in attempts=3 user=bob</c>. Body fields follow in
/// insertion order with nested keys dotted; arrays and maps are compact JSON; values are quoted only when needed.
/// Keys are never quoted: space, <c>=</c>, <c>"</c> and control characters in a key become <c>_</c>.
/// </summary>
public sealed class LogfmtRenderer : IEventRenderer
{
    /// <inheritdoc />
    public void Render(OxbowEvent e, IBufferWriter<byte> output)
    {
        var line = new StringBuilder(256);
        line.Append("time=").Append(Timestamps.Format(e.End))
            .Append(" level=").Append(e.Level.Name())
            .Append(" type=").Append(e.Type)
            .Append(" id=").Append(e.Id);
        if (e.TraceId is not null)
        {
            line.Append(" trace_id=").Append(e.TraceId);
        }

        if (e.SpanId is not null)
        {
            line.Append(" span_id=").Append(e.SpanId);
        }

        if (e.Start != e.End)
        {
            line.Append(" duration=").Append(FieldText.Plain((e.End - e.Start).TotalSeconds));
        }

        foreach (var (key, value) in FieldText.Flatten(e.Body))
        {
            line.Append(' ').Append(Key(key)).Append('=').Append(FieldText.Quote(FieldText.Plain(value)));
        }

        line.Append('\n');
        output.WriteUtf8(line.ToString());
    }

    /// <summary>
    /// A logfmt key is a bare word: parsers (go-logfmt, Loki, Vector) refuse quoted keys. Space, <c>=</c>,
    /// <c>"</c> and control characters become <c>_</c>, and an empty key is <c>_</c>.
    /// </summary>
    internal static string Key(string key)
    {
        if (key.Length > 0 && !key.AsSpan().ContainsAny(KeyUnsafe) && !key.Any(char.IsControl))
        {
            return key;
        }

        var clean = string.Create(key.Length, key, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                span[i] = c is ' ' or '=' or '"' || char.IsControl(c) ? '_' : c;
            }
        });
        return clean.Length == 0 ? "_" : clean;
    }

    private static readonly SearchValues<char> KeyUnsafe = SearchValues.Create(" =\"");
}
