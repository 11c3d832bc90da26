namespace Oxbow;

/// <summary>
/// Decides which keys have their values replaced by <see cref="Replacement"/>. A key is redacted when it contains
/// any pattern, ignoring case, at any depth of the body: <c>db_password</c> and <c>headers.Authorization</c> both match.
/// The check runs once per distinct key string and is cached, so it costs nothing per event. A null or empty value
/// is kept as it is: it holds no secret, and <c>"api_key":""</c> tells a reader that the key was sent empty.
/// </summary>
public sealed class RedactionPolicy
{
    /// <summary>The value written in place of a redacted one.</summary>
    public const string Replacement = "[redacted]";

    /// <summary>Patterns used when none are configured.</summary>
    public static IReadOnlyList<string> DefaultPatterns { get; } =
        ["password", "passwd", "secret", "token", "authorization", "cookie", "api_key", "apikey"];

    /// <summary>The default policy.</summary>
    public static RedactionPolicy Default { get; } = new(DefaultPatterns);

    /// <summary>A policy that redacts nothing.</summary>
    public static RedactionPolicy None { get; } = new([]);

    private readonly string[] _patterns;

    /// <summary>Creates a policy from substrings to match, ignoring case.</summary>
    public RedactionPolicy(IEnumerable<string> patterns)
    {
        _patterns = patterns.Where(p => p.Length > 0).Select(p => p.ToLowerInvariant()).Distinct().ToArray();
    }

    /// <summary>The patterns, lowercased.</summary>
    public IReadOnlyList<string> Patterns => _patterns;

    /// <summary>True when the value under <paramref name="key"/> must be redacted.</summary>
    public bool IsSecret(string key)
    {
        foreach (var pattern in _patterns)
        {
            if (key.Contains(pattern, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
