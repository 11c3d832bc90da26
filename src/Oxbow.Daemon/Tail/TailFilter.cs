using System.Text;
using System.Text.Json;
using Oxbow.Daemon.Auth;
using Oxbow.Query.Search;
using Oxbow.Store.Events;

namespace Oxbow.Daemon.Tail;

/// <summary>
/// Which events a tail subscriber wants: type patterns (comma-separated; exact, or a prefix ending in <c>*</c>), field
/// equalities such as <c>level=error</c> or <c>body.response.status=500</c> (a bare name is looked up at the top
/// level, then in <c>body</c>), and a console filter (<see cref="FilterLanguage"/>), matched the same way.
/// </summary>
internal sealed class TailFilter
{
    private readonly string[] _typePatterns;
    private readonly FilterNode? _filter;
    private readonly (string[] Path, string Value)[] _fields;
    private readonly TokenGrant _grant;

    /// <summary>A filter; <paramref name="fieldFilters"/> are <c>name=value</c>; <paramref name="filter"/> is console filter text.</summary>
    /// <exception cref="FormatException">A field filter without <c>=</c>, or a console filter that does not parse (<see cref="FilterSyntaxException"/>).</exception>
    public TailFilter(string? typePattern, IEnumerable<string> fieldFilters, TokenGrant grant, string? filter = null)
    {
        var patterns = (typePattern ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        _typePatterns = patterns.Length == 0 ? ["*"] : patterns;
        _filter = FilterLanguage.Parse(filter);
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
        if (!AnyPattern(type) || !_grant.Allows(type))
        {
            return false;
        }

        if (_fields.Length == 0 && _filter is null)
        {
            return true;
        }

        // Field filters are rare and only cost when someone tails with them.
        using var document = JsonDocument.Parse(line.ToArray());
        if (_filter is not null && !_filter.Matches(document.RootElement))
        {
            return false;
        }

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

    private bool AnyPattern(ReadOnlySpan<char> type)
    {
        foreach (var pattern in _typePatterns)
        {
            if (TypePattern.Matches(pattern, type))
            {
                return true;
            }
        }

        return false;
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
