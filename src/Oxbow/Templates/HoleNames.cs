using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

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
    private const int Size = 1024;
    private const int MaxByValue = 4096;

    private static readonly Named?[] Expressions = new Named?[Size];
    private static readonly Named?[] Formats = new Named?[Size];
    private static readonly ConcurrentDictionary<string, Named> ExpressionsByValue = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, Named> FormatsByValue = new(StringComparer.Ordinal);
    private static readonly string[] Positions = [.. Enumerable.Range(0, 32).Select(i => "arg" + i)];

    private sealed class Named(string source, string? name, string? format)
    {
        public readonly string Source = source;

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
            var named = Lookup(Formats, FormatsByValue, format, ParseFormat);
            renderFormat = named.Format;
            if (named.Name is not null)
            {
                return named.Name;
            }
        }

        if (expression is not null && Lookup(Expressions, ExpressionsByValue, expression, ParseExpression).Name is { } name)
        {
            return name;
        }

        return position < Positions.Length ? Positions[position] : "arg" + position;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Named Lookup(Named?[] table, ConcurrentDictionary<string, Named> byValue, string source, Func<string, Named> parse)
    {
        var slot = RuntimeHelpers.GetHashCode(source) & (Size - 1);
        var entry = table[slot];
        if (entry is not null && ReferenceEquals(entry.Source, source))
        {
            return entry;
        }

        entry = byValue.Count < MaxByValue ? byValue.GetOrAdd(source, parse) : parse(source);
        if (!ReferenceEquals(entry.Source, source))
        {
            entry = new Named(source, entry.Name, entry.Format);
        }

        table[slot] = entry;
        return entry;
    }

    // "@name" or "@name:format"; a bare "@" names nothing.
    private static Named ParseFormat(string format)
    {
        var colon = format.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? format[1..] : format[1..colon];
        var rest = colon < 0 ? null : format[(colon + 1)..];
        return new Named(format, name.Length == 0 ? null : name, rest);
    }

    private static Named ParseExpression(string expression)
    {
        var path = expression.Trim();
        if (path.StartsWith("this.", StringComparison.Ordinal))
        {
            path = path[5..];
        }

        path = path.Replace("?.", ".", StringComparison.Ordinal).Replace("@", "", StringComparison.Ordinal).TrimEnd('!');
        return new Named(expression, IsDottedPath(path) ? path : null, null);
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
