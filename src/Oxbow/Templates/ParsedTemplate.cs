using System.Globalization;
using Oxbow.Codec;

namespace Oxbow.Templates;

/// <summary>
/// A Serilog-style message template, parsed once: <c>Order {OrderId} shipped to {Country}</c>.
/// </summary>
/// <remarks>
/// A hole is <c>{</c>, an optional <c>@</c> (capture the object, the default for objects anyway) or <c>$</c> (its
/// text), a name of letters, digits and <c>_</c>, an optional <c>,alignment</c> and <c>:format</c>, then <c>}</c>.
/// <c>{{</c> and <c>}}</c> are literal braces, and anything else in braces is literal text. Arguments bind as in
/// Serilog: by number when every hole is numeric (<c>{0}</c>), otherwise each distinct name takes the next argument
/// in order of appearance. Field names are the hole names exactly as written, with no change of case.
/// </remarks>
internal sealed class ParsedTemplate
{
    private static readonly IdentityCache<ParsedTemplate> Cache = new(Parse);

    /// <summary>One piece: literal text (<see cref="Name"/> null), or a hole bound to argument <see cref="Argument"/>.</summary>
    internal readonly record struct Token(int Start, int Length, string? Name, int Argument, int Alignment, string? Format, HoleCapture Capture);

    private ParsedTemplate(Token[] tokens) => Tokens = tokens;

    public Token[] Tokens { get; }

    /// <summary>The parsed form of <paramref name="template"/>, parsed once per distinct template.</summary>
    public static ParsedTemplate Get(string template) => Cache.Get(template);

    public static ParsedTemplate Parse(string template)
    {
        var tokens = new List<Token>();
        var literalStart = 0;
        var i = 0;
        while (i < template.Length)
        {
            var c = template[i];
            if ((c == '{' || c == '}') && i + 1 < template.Length && template[i + 1] == c)
            {
                // A doubled brace is one literal brace: end the literal after the first, skip the second.
                tokens.Add(new Token(literalStart, i + 1 - literalStart, null, -1, 0, null, HoleCapture.Default));
                i += 2;
                literalStart = i;
                continue;
            }

            if (c == '{' && template.IndexOf('}', i + 1) is var close and > 0 && TryParseHole(template.AsSpan(i + 1, close - i - 1), out var hole))
            {
                if (i > literalStart)
                {
                    tokens.Add(new Token(literalStart, i - literalStart, null, -1, 0, null, HoleCapture.Default));
                }

                tokens.Add(hole with { Start = i, Length = close + 1 - i });
                i = close + 1;
                literalStart = i;
                continue;
            }

            i++;
        }

        if (literalStart < template.Length)
        {
            tokens.Add(new Token(literalStart, template.Length - literalStart, null, -1, 0, null, HoleCapture.Default));
        }

        return new ParsedTemplate(Bind(tokens));
    }

    private static bool TryParseHole(ReadOnlySpan<char> inside, out Token hole)
    {
        hole = default;
        var capture = HoleCapture.Default;
        if (inside is ['@' or '$', ..])
        {
            capture = inside[0] == '$' ? HoleCapture.Stringify : HoleCapture.Default;
            inside = inside[1..];
        }

        string? format = null;
        var colon = inside.IndexOf(':');
        if (colon >= 0)
        {
            format = inside[(colon + 1)..].ToString();
            inside = inside[..colon];
        }

        var alignment = 0;
        var comma = inside.IndexOf(',');
        if (comma >= 0)
        {
            if (!int.TryParse(inside[(comma + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out alignment))
            {
                return false;
            }

            inside = inside[..comma];
        }

        if (inside.IsEmpty)
        {
            return false;
        }

        foreach (var c in inside)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        hole = new Token(0, 0, inside.ToString(), -1, alignment, format, capture);
        return true;
    }

    private static Token[] Bind(List<Token> tokens)
    {
        var holes = tokens.Where(t => t.Name is not null).ToList();
        var numeric = holes.Count > 0 && holes.All(h => h.Name!.All(char.IsAsciiDigit));
        var order = new List<string>();
        for (var i = 0; i < tokens.Count; i++)
        {
            if (tokens[i].Name is not { } name)
            {
                continue;
            }

            int argument;
            if (numeric)
            {
                argument = int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1;
            }
            else
            {
                argument = order.IndexOf(name);
                if (argument < 0)
                {
                    argument = order.Count;
                    order.Add(name);
                }
            }

            tokens[i] = tokens[i] with { Argument = argument };
        }

        return [.. tokens];
    }
}
