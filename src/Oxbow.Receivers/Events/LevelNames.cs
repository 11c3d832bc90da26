namespace Oxbow.Receivers.Events;

/// <summary>Level names other libraries use (Serilog, Microsoft.Extensions.Logging, OpenTelemetry's short names), as Oxbow's.</summary>
internal static class LevelNames
{
    /// <summary>Oxbow's level for <paramref name="text"/> (any case), or null when it is not a level name.</summary>
    public static string? FromText(string? text) => text?.ToLowerInvariant() switch
    {
        "verbose" or "trace" or "trc" or "vrb" => "trace",
        "debug" or "dbg" => "debug",
        "information" or "info" or "inf" => "info",
        "warning" or "warn" or "wrn" => "warning",
        "error" or "err" or "fail" => "error",
        "fatal" or "critical" or "crit" or "ftl" => "critical",
        _ => null,
    };
}
