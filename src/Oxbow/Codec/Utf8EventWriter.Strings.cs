using System.Buffers;
using System.Text.Unicode;

namespace Oxbow.Codec;

/// <summary>
/// The writer's strings: escaping per RFC 8259 (quote, backslash and control characters; invalid UTF-16 becomes
/// U+FFFD), whole or in pieces (a message is written piece by piece).
/// </summary>
internal sealed partial class Utf8EventWriter
{
    private static readonly SearchValues<byte> NeedsEscape = SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(b => (byte)b), (byte)'"', (byte)'\\']);

    /// <summary>Writes a quoted, escaped string, or <c>null</c>.</summary>
    public void String(string? value)
    {
        if (value is null)
        {
            Null();
            return;
        }

        String(value.AsSpan());
    }

    public void String(ReadOnlySpan<char> value)
    {
        Byte((byte)'"');
        StringContent(value);
        Byte((byte)'"');
    }

    /// <summary>Writes the escaped text of a string without its quotes (a message is written in pieces).</summary>
    public void StringContent(ReadOnlySpan<char> value)
    {
        // Most field values are short ASCII with nothing to escape; one plain loop beats the setup cost of the
        // vectorized transcoder and escape search below for them.
        if (value.Length <= 32)
        {
            var target = Reserve(value.Length);
            var i = 0;
            for (; i < value.Length; i++)
            {
                var c = value[i];
                if (c is < (char)0x20 or >= (char)0x7F or '"' or '\\')
                {
                    break;
                }

                target[i] = (byte)c;
            }

            if (i == value.Length)
            {
                _position += i;
                return;
            }
        }

        // Transcode optimistically, then scan the UTF-8 for bytes that need escaping: almost always none.
        var span = Reserve(value.Length * 3);
        Utf8.FromUtf16(value, span, out _, out var written, replaceInvalidSequences: true);
        var body = span[..written];
        var escapeAt = body.IndexOfAny(NeedsEscape);
        if (escapeAt < 0)
        {
            _position += written;
            return;
        }

        var tail = body[escapeAt..].ToArray();
        _position += escapeAt;
        WriteEscaped(tail);
    }

    private void WriteEscaped(ReadOnlySpan<byte> utf8)
    {
        var span = Reserve(utf8.Length * 6);
        var n = 0;
        foreach (var b in utf8)
        {
            switch (b)
            {
                case (byte)'"': span[n++] = (byte)'\\'; span[n++] = (byte)'"'; break;
                case (byte)'\\': span[n++] = (byte)'\\'; span[n++] = (byte)'\\'; break;
                case (byte)'\n': span[n++] = (byte)'\\'; span[n++] = (byte)'n'; break;
                case (byte)'\r': span[n++] = (byte)'\\'; span[n++] = (byte)'r'; break;
                case (byte)'\t': span[n++] = (byte)'\\'; span[n++] = (byte)'t'; break;
                case (byte)'\b': span[n++] = (byte)'\\'; span[n++] = (byte)'b'; break;
                case (byte)'\f': span[n++] = (byte)'\\'; span[n++] = (byte)'f'; break;
                case < 0x20:
                    span[n++] = (byte)'\\';
                    span[n++] = (byte)'u';
                    span[n++] = (byte)'0';
                    span[n++] = (byte)'0';
                    span[n++] = Hex[b >> 4];
                    span[n++] = Hex[b & 0xF];
                    break;
                default: span[n++] = b; break;
            }
        }

        _position += n;
    }
}
