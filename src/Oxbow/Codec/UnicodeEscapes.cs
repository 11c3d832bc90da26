namespace Oxbow.Codec;

/// <summary>
/// Finds <c>\uD800</c>-style escapes that do not form a surrogate pair. JSON's grammar allows them, but they are not
/// Unicode text: .NET refuses to turn them into strings, and DuckDB refuses the file they are stored in, so one such
/// escape would make a whole partition unreadable. Ingest refuses them with the line and the position; the Seq receiver refuses such a line alone.
/// </summary>
internal static class UnicodeEscapes
{
    /// <summary>The byte offset of the first unpaired surrogate escape in a valid JSON line, or -1.</summary>
    public static int FindLoneSurrogate(ReadOnlySpan<byte> json)
    {
        // Most lines have no \u escape at all: one vectorized search answers for them.
        if (json.IndexOf("\\u"u8) < 0)
        {
            return -1;
        }

        for (var i = 0; i < json.Length - 1; i++)
        {
            if (json[i] != '\\')
            {
                continue;
            }

            if (json[i + 1] != 'u')
            {
                i++; // a two-character escape such as \\ or \": its second character is not a new escape
                continue;
            }

            var unit = Hex4(json, i + 2);
            if (unit is >= 0xDC00 and <= 0xDFFF)
            {
                return i;
            }

            if (unit is >= 0xD800 and <= 0xDBFF)
            {
                var low = i + 6 + 1 < json.Length && json[i + 6] == '\\' && json[i + 7] == 'u' ? Hex4(json, i + 8) : -1;
                if (low is not (>= 0xDC00 and <= 0xDFFF))
                {
                    return i;
                }

                i += 11;
                continue;
            }

            i += 5;
        }

        return -1;
    }

    private static int Hex4(ReadOnlySpan<byte> json, int at)
    {
        if (at + 4 > json.Length)
        {
            return -1;
        }

        var value = 0;
        for (var k = 0; k < 4; k++)
        {
            var c = json[at + k];
            var digit = c switch
            {
                >= (byte)'0' and <= (byte)'9' => c - '0',
                >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
                _ => -1,
            };
            if (digit < 0)
            {
                return -1;
            }

            value = (value << 4) | digit;
        }

        return value;
    }
}
