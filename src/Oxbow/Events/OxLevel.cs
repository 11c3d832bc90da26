namespace Oxbow;

/// <summary>Severity of an event. The order matters: a minimum level admits itself and everything above it.</summary>
public enum OxLevel
{
    /// <summary>Diagnostic detail, usually off in production.</summary>
    Debug = 0,
    /// <summary>Normal operation (the default minimum level).</summary>
    Info = 1,
    /// <summary>Something unexpected that the application recovered from.</summary>
    Warning = 2,
    /// <summary>An operation failed.</summary>
    Error = 3,
    /// <summary>The application or a major part of it cannot continue.</summary>
    Critical = 4,
    /// <summary>Not a level for events: as a minimum level it turns everything off.</summary>
    Off = 5,
}

/// <summary>Canonical names of levels, as they appear in the <c>level</c> field.</summary>
public static class OxLevels
{
    private static readonly string[] Names = ["debug", "info", "warning", "error", "critical", "off"];
    private static readonly byte[][] Utf8Names = Names.Select(n => System.Text.Encoding.UTF8.GetBytes(n)).ToArray();

    /// <summary>The canonical lowercase name, such as <c>warning</c>.</summary>
    public static string Name(this OxLevel level) => Names[(int)level];

    internal static ReadOnlySpan<byte> Utf8Name(OxLevel level) => Utf8Names[(int)level];

    /// <summary>Parses a canonical name (case-insensitive); <c>warn</c> and <c>fatal</c> are accepted as aliases.</summary>
    public static bool TryParse(string? text, out OxLevel level)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "debug" or "trace" or "verbose": level = OxLevel.Debug; return true;
            case "info" or "information": level = OxLevel.Info; return true;
            case "warning" or "warn": level = OxLevel.Warning; return true;
            case "error": level = OxLevel.Error; return true;
            case "critical" or "fatal": level = OxLevel.Critical; return true;
            case "off" or "none": level = OxLevel.Off; return true;
            default: level = OxLevel.Info; return false;
        }
    }
}
