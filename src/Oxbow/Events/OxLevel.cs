namespace Oxbow;

/// <summary>Severity of an event. The order matters: a minimum level admits itself and everything above it.</summary>
/// <remarks>
/// The six levels are those of Microsoft.Extensions.Logging (Trace to Critical), so every MEL, Serilog and
/// OpenTelemetry severity has a level of its own: Serilog's Verbose and Fatal are Trace and Critical.
/// </remarks>
public enum OxLevel
{
    /// <summary>The finest detail (MEL's Trace, Serilog's Verbose), usually off even in development.</summary>
    Trace = 0,
    /// <summary>Diagnostic detail, usually off in production.</summary>
    Debug = 1,
    /// <summary>Normal operation (the default minimum level).</summary>
    Info = 2,
    /// <summary>Something unexpected that the application recovered from.</summary>
    Warning = 3,
    /// <summary>An operation failed.</summary>
    Error = 4,
    /// <summary>The application or a major part of it cannot continue.</summary>
    Critical = 5,
    /// <summary>Not a level for events: as a minimum level it turns everything off.</summary>
    Off = 6,
}

/// <summary>Canonical names of levels, as they appear in the <c>level</c> field.</summary>
public static class OxLevels
{
    private static readonly string[] Names = ["trace", "debug", "info", "warning", "error", "critical", "off"];

    /// <summary>The accepted names, for error messages: <c>trace, debug, info, warning, error, critical, off</c>.</summary>
    public const string ValidNames = "trace, debug, info, warning, error, critical, off";
    private static readonly byte[][] Utf8Names = Names.Select(n => System.Text.Encoding.UTF8.GetBytes(n)).ToArray();

    /// <summary>The canonical lowercase name, such as <c>warning</c>.</summary>
    public static string Name(this OxLevel level) => Names[(int)level];

    internal static ReadOnlySpan<byte> Utf8Name(OxLevel level) => Utf8Names[(int)level];

    /// <summary>
    /// Parses a canonical name (case-insensitive). The other ecosystems' names for the same six levels are aliases:
    /// <c>verbose</c> (Serilog) is trace, <c>information</c> (MEL) is info, <c>warn</c> is warning, <c>fatal</c>
    /// (Serilog) is critical, <c>none</c> (MEL) is off. Anything else is refused.
    /// </summary>
    public static bool TryParse(string? text, out OxLevel level)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "trace" or "verbose": level = OxLevel.Trace; return true;
            case "debug": level = OxLevel.Debug; return true;
            case "info" or "information": level = OxLevel.Info; return true;
            case "warning" or "warn": level = OxLevel.Warning; return true;
            case "error": level = OxLevel.Error; return true;
            case "critical" or "fatal": level = OxLevel.Critical; return true;
            case "off" or "none": level = OxLevel.Off; return true;
            default: level = OxLevel.Info; return false;
        }
    }
}
