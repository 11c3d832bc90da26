using System.Diagnostics;

namespace Oxbow.AspNetCore;

/// <summary>
/// W3C Trace Context <c>traceparent</c>: <c>00-&lt;32 hex trace id&gt;-&lt;16 hex parent id&gt;-&lt;2 hex flags&gt;</c>.
/// Parsing is the runtime's (<see cref="ActivityContext.TryParse(string?, string?, bool, out ActivityContext)"/>, the
/// parser ASP.NET Core's own propagator uses), so Oxbow and the hosting layer agree on every header: upper case,
/// version ff, an all-zero id or a wrong length is invalid, and the request then starts a new trace.
/// </summary>
internal static class TraceParent
{
    /// <summary>Parses <paramref name="header"/>; false when it is not a valid traceparent.</summary>
    public static bool TryParse(string? header, out ActivityContext context) =>
        ActivityContext.TryParse(header?.Trim(), null, isRemote: true, out context);

    /// <summary>The header for a trace and span: <c>00-trace-span-flags</c>.</summary>
    public static string Format(ActivityTraceId traceId, ActivitySpanId spanId, ActivityTraceFlags flags) =>
        $"00-{traceId.ToHexString()}-{spanId.ToHexString()}-{((flags & ActivityTraceFlags.Recorded) != 0 ? "01" : "00")}";
}
