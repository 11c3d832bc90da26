using Oxbow.Codec;

namespace Oxbow.Templates;

/// <summary>
/// The field name of an interpolated hole. By default it is the hole's expression as the compiler passes it
/// (<c>{orderId}</c> is <c>orderId</c>, <c>{order.Id}</c> is <c>order.Id</c>, which nests); a format that starts
/// with <c>@</c> names it instead (<c>{GetTotal():@total}</c>, or <c>{amount:@amount:0.00}</c> with a format after
/// the name). An expression that is not a name or a dotted path (a call, an operator, an index) and has no
/// <c>@name</c> becomes <c>arg</c> and its position: <c>arg0</c>, <c>arg1</c>, ….
/// </summary>
/// <remarks>
/// Expressions and formats are compile-time constants, so both are cached by identity like keys: after the first
/// call a hole costs an identity hash and a compare, with no parsing and no allocation.
/// </remarks>
internal static class HoleNames
{
    private static readonly IdentityCache<Named> Expressions = new(ParseExpression);
    private static readonly IdentityCache<Named> Formats = new(ParseFormat);
    private static readonly string[] Positions = [.. Enumerable.Range(0, 32).Select(i => "arg" + i)];

    private sealed class Named(string? name, string? format)
    {
        /// <summary>The field name, or null when the source gives none.</summary>
        public readonly string? Name = name;

        /// <summary>The format left after an <c>@name:</c> prefix.</summary>
        public readonly string? Format = format;
    }

    /// <summary>The field name for a hole and the format to render it with.</summary>
    public static string Resolve(string? expression, string? format, int position, out string? renderFormat)
    {
        renderFormat = format;
        if (format is ['@', ..])
        {
            var named = Formats.Get(format);
            renderFormat = named.Format;
            if (named.Name is not null)
            {
                return named.Name;
            }
        }

        if (expression is not null && Expressions.Get(expression).Name is { } name)
        {
            return name;
        }

        return position < Positions.Length ? Positions[position] : "arg" + position;
    }

    // "@name" or "@name:format"; a bare "@" names nothing.
    private static Named ParseFormat(string format)
    {
        var colon = format.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? format[1..] : format[1..colon];
        var rest = colon < 0 ? null : format[(colon + 1)..];
        return new Named(name.Length == 0 ? null : name, rest);
    }

    private static Named ParseExpression(string expression)
    {
        var path = expression.Trim();
        if (path.StartsWith("this.", StringComparison.Ordinal))
        {
            path = path[5..];
        }

        path = path.Replace("?.", ".", StringComparison.Ordinal).Replace("@", "", StringComparison.Ordinal).TrimEnd('!');
        return new Named(IsDottedPath(path) ? path : null, null);
    }

    private static bool IsDottedPath(string path)
    {
        foreach (var part in path.Split('.'))
        {
            if (part.Length == 0 || !(char.IsLetter(part[0]) || part[0] == '_'))
            {
                return false;
            }

            foreach (var c in part)
            {
                if (!(char.IsLetterOrDigit(c) || c == '_'))
                {
                    return false;
                }
            }
        }

        return true;
    }
}
