using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Oxbow.Daemon.Auth;

/// <summary>
/// What a token may do: ingest (and tail) event types matching its scopes; read stats and metrics
/// (<see cref="ReadsStats"/>); and, as admin, everything.
/// </summary>
internal sealed record TokenGrant(string Name, bool Admin, IReadOnlyList<string> Scopes)
{
    /// <summary>Whether <c>GET /v1/stats</c> and <c>GET /metrics</c> may be read: admin and metrics tokens.</summary>
    public bool ReadsStats { get; init; } = Admin;

    /// <summary>Whether events of <paramref name="type"/> may be sent (and tailed) with this token.</summary>
    public bool Allows(ReadOnlySpan<char> type)
    {
        if (Admin)
        {
            return true;
        }

        foreach (var scope in Scopes)
        {
            if (TypePattern.Matches(scope, type))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// Type patterns, matched on whole dotted segments: <c>*</c> is every type; <c>web</c> is exactly <c>web</c>;
/// <c>web.*</c> is every type under <c>web.</c> (<c>web.api</c>, <c>web.api.db</c>); <c>web*</c> is <c>web</c> and
/// every type under it. None of them matches <c>website</c>: a scope never crosses a segment boundary.
/// </summary>
internal static class TypePattern
{
    /// <summary>Whether <paramref name="type"/> matches <paramref name="pattern"/>.</summary>
    public static bool Matches(string pattern, ReadOnlySpan<char> type)
    {
        if (pattern == "*")
        {
            return true;
        }

        if (pattern.EndsWith(".*", StringComparison.Ordinal))
        {
            var parent = pattern.AsSpan(0, pattern.Length - 2);
            return type.Length > parent.Length + 1 && type.StartsWith(parent, StringComparison.Ordinal) && type[parent.Length] == '.';
        }

        if (pattern.EndsWith('*'))
        {
            var root = pattern.AsSpan(0, pattern.Length - 1);
            return type.SequenceEqual(root) || (type.Length > root.Length + 1 && type.StartsWith(root, StringComparison.Ordinal) && type[root.Length] == '.');
        }

        return type.SequenceEqual(pattern);
    }
}

/// <summary>
/// Who may connect. Without a token file only loopback clients are accepted, and they may do everything. With one,
/// every client needs a token from it.
/// </summary>
/// <remarks>
/// Token file: one token per line, <c>#</c> comments. <c>admin &lt;token&gt;</c>;
/// <c>ingest &lt;token&gt; &lt;pattern&gt;[,&lt;pattern&gt;…]</c> with <see cref="TypePattern"/>s; or
/// <c>metrics &lt;token&gt;</c>, which reads stats and metrics (for Prometheus) and nothing else.
/// </remarks>
internal sealed class AccessPolicy
{
    private static readonly TokenGrant Loopback = new("loopback", true, ["*"]);
    private readonly List<(byte[] Token, TokenGrant Grant)> _tokens;

    private AccessPolicy(List<(byte[], TokenGrant)> tokens, bool requiresTokens)
    {
        _tokens = tokens;
        RequiresTokens = requiresTokens;
    }

    /// <summary>No token file: loopback clients only.</summary>
    public static AccessPolicy LoopbackOnly { get; } = new([], false);

    /// <summary>Whether a token file is in force.</summary>
    public bool RequiresTokens { get; }

    /// <summary>Reads a token file.</summary>
    /// <exception cref="FormatException">A line is not <c>admin TOKEN</c> or <c>ingest TOKEN PATTERNS</c>; the message names it.</exception>
    public static AccessPolicy Load(string path)
    {
        List<(byte[], TokenGrant)> tokens = [];
        var number = 0;
        foreach (var raw in File.ReadLines(path))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var grant = parts switch
            {
                ["admin", _] => new TokenGrant($"admin#{number}", true, ["*"]),
                ["ingest", _, var scopes] => new TokenGrant($"ingest#{number}", false, scopes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)),
                ["metrics", _] => new TokenGrant($"metrics#{number}", false, []) { ReadsStats = true },
                _ => throw new FormatException($"{path}:{number}: expected 'admin TOKEN', 'ingest TOKEN PATTERN[,PATTERN…]' or 'metrics TOKEN'"),
            };
            tokens.Add((Encoding.UTF8.GetBytes(parts[1]), grant));
        }

        return new AccessPolicy(tokens, true);
    }

    /// <summary>The grant for a client, or null when it must be refused.</summary>
    public TokenGrant? Authenticate(string? token, IPAddress? remote)
    {
        if (!RequiresTokens)
        {
            return remote is not null && IPAddress.IsLoopback(remote) ? Loopback : null;
        }

        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        var bytes = Encoding.UTF8.GetBytes(token);
        TokenGrant? found = null;
        foreach (var (candidate, grant) in _tokens)
        {
            // Compare every entry in constant time, so timing does not reveal which prefix matched.
            if (candidate.Length == bytes.Length && CryptographicOperations.FixedTimeEquals(candidate, bytes))
            {
                found ??= grant;
            }
        }

        return found;
    }
}
