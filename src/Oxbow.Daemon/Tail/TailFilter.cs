using System.Text;
using System.Text.Json;
using Oxbow.Daemon.Auth;
using Oxbow.Daemon.Events;

namespace Oxbow.Daemon.Tail;

/// <summary>
/// Which events a tail subscriber wants: a type pattern (exact, or a prefix ending in <c>*</c>) and field equalities
/// such as <c>level=error</c> or <c>body.response.status=500</c> (a bare name is looked up at the top level, then in
/// <c>body</c>).
/// </summary>
internal sealed class TailFilter
{
    private readonly string _typePattern;
    private readonly (string[] Path, string Value)[] _fields;
    private readonly TokenGrant _grant;

    /// <summary>A filter; <paramref name="fieldFilters"/> are <c>name=value</c>.</summary>
    /// <exception cref="FormatException">A field filter without <c>=</c>.</exception>
    public TailFilter(string? typePattern, IEnumerable<string> fieldFilters, TokenGrant grant)
    {
        _typePattern = string.IsNullOrEmpty(typePattern) ? "*" : typePattern;
        _fields = [.. fieldFilters.Select(f =>
        {
            var eq = f.IndexOf('=');
            return eq <= 0 ? throw new FormatException($"field filter '{f}' is not name=value") : (f[..eq].Split('.'), f[(eq + 1)..]);
        })];
        _grant = grant;
    }

    /// <summary>Whether a canonical line passes.</summary>
    public bool Matches(ReadOnlySpan<byte> line)
    {
        if (!CanonicalLine.TryParse(line, out var canonical))
        {
            return false;
        }

        Span<char> type = stackalloc char[canonical.Type.Length];
        Encoding.ASCII.GetChars(canonical.Type, type);
        if (!TypePattern.Matches(_typePattern, type) || !_grant.Allows(type))
        {
            return false;
        }

        if (_fields.Length == 0)
        {
            return true;
        }

        // Field filters are rare and only cost when someone tails with them.
        using var document = JsonDocument.Parse(line.ToArray());
        foreach (var (path, value) in _fields)
        {
            var found = Find(document.RootElement, path) ?? (path[0] == "body" ? null : Find(document.RootElement, ["body", .. path]));
            if (found is not { } element || !ValueEquals(element, value))
            {
                return false;
            }
        }

        return true;
    }

    private static JsonElement? Find(JsonElement element, string[] path)
    {
        foreach (var part in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(part, out element))
            {
                return null;
            }
        }

        return element;
    }

    private static bool ValueEquals(JsonElement element, string value) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString() == value,
        JsonValueKind.Number => element.GetRawText() == value || (double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var d) && element.GetDouble() == d),
        JsonValueKind.True => value == "true",
        JsonValueKind.False => value == "false",
        JsonValueKind.Null => value == "null",
        _ => element.GetRawText() == value,
    };
}
