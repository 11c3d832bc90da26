namespace Oxbow;

/// <summary>
/// Validates event type names. A type is lowercase segments of <c>[a-z0-9_-]</c> joined by single dots, at most
/// <see cref="MaxLength"/> characters. Types become directory names in the store, so anything else, such as
/// <c>../x</c>, is rejected before it can reach a path.
/// </summary>
public static class EventType
{
    /// <summary>The longest accepted type name, in characters.</summary>
    public const int MaxLength = 128;

    /// <summary>True when <paramref name="type"/> is a valid type name.</summary>
    public static bool IsValid(string? type) => Problem(type) is null;

    /// <summary>Throws <see cref="ArgumentException"/> naming the problem unless <paramref name="type"/> is valid.</summary>
    public static string Validate(string? type, string paramName = "type")
    {
        var problem = Problem(type);
        if (problem is not null)
        {
            throw new ArgumentException($"Invalid event type '{type}': {problem}.", paramName);
        }

        return type!;
    }

    internal static string? Problem(string? type)
    {
        if (string.IsNullOrEmpty(type))
        {
            return "it is empty";
        }

        if (type.Length > MaxLength)
        {
            return $"it is longer than {MaxLength} characters";
        }

        var segmentStart = true;
        foreach (var c in type)
        {
            if (c == '.')
            {
                if (segmentStart)
                {
                    return "segments must not be empty (no leading, trailing or double dots)";
                }

                segmentStart = true;
                continue;
            }

            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-'))
            {
                return $"'{c}' is not allowed; use lowercase segments of [a-z0-9_-] joined by dots";
            }

            segmentStart = false;
        }

        return segmentStart ? "segments must not be empty (no leading, trailing or double dots)" : null;
    }
}
