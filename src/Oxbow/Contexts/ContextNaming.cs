namespace Oxbow.Contexts;

/// <summary>
/// Resolves a context name against the open contexts of the current flow:
/// <list type="bullet">
/// <item><c>.db</c> hangs off the innermost open context: <c>request</c> gives <c>request.db</c> with the same id.</item>
/// <item><c>^.cache</c> hangs off the outermost open context.</item>
/// <item>An absolute name attaches to the open context sharing the longest run of leading segments (the innermost
/// one on a tie) and takes its id; with no shared segment it starts a new id.</item>
/// <item><c>..x</c> and <c>^x</c> are rejected. With no context open, <c>.db</c> and <c>^.db</c> mean <c>db</c>.</item>
/// </list>
/// </summary>
internal static class ContextNaming
{
    public static (string Type, OxContext? Parent) Resolve(string name, OxContext? innermost)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.StartsWith("..", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Invalid context name '{name}': '..' is not a name; use '.child' for a child of the current context.", nameof(name));
        }

        if (name.StartsWith('^') && !name.StartsWith("^.", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Invalid context name '{name}': '^' must be followed by '.', as in '^.cache'.", nameof(name));
        }

        if (name.StartsWith("^.", StringComparison.Ordinal))
        {
            var suffix = EventType.Validate(name[2..], nameof(name));
            var outermost = Outermost(innermost);
            return outermost is null ? (suffix, null) : (EventType.Validate($"{outermost.Type}.{suffix}", nameof(name)), outermost);
        }

        if (name.StartsWith('.'))
        {
            var suffix = EventType.Validate(name[1..], nameof(name));
            return innermost is null ? (suffix, null) : (EventType.Validate($"{innermost.Type}.{suffix}", nameof(name)), innermost);
        }

        EventType.Validate(name, nameof(name));
        return (name, LongestPrefixMatch(name, innermost));
    }

    /// <summary>Syntax-only validation, for when no context will be created.</summary>
    public static void Validate(string name) => Resolve(name, null);

    /// <summary>The outermost open context of the flow whose innermost is <paramref name="innermost"/>.</summary>
    internal static OxContext? Outermost(OxContext? innermost)
    {
        var context = innermost;
        while (context?.Previous is not null)
        {
            context = context.Previous;
        }

        return context;
    }

    private static OxContext? LongestPrefixMatch(string type, OxContext? innermost)
    {
        OxContext? best = null;
        var bestShared = 0;
        for (var context = innermost; context is not null; context = context.Previous)
        {
            var shared = SharedLeadingSegments(type, context.Type);
            if (shared > bestShared)
            {
                best = context;
                bestShared = shared;
            }
        }

        return best;
    }

    internal static int SharedLeadingSegments(string a, string b)
    {
        var left = a.Split('.');
        var right = b.Split('.');
        var shared = 0;
        while (shared < left.Length && shared < right.Length && left[shared] == right[shared])
        {
            shared++;
        }

        return shared;
    }
}
