using System.Diagnostics;

namespace Oxbow.AspNetCore;

/// <summary>
/// W3C Trace Context <c>traceparent</c>: <c>00-&lt;32 hex trace id&gt;-&lt;16 hex parent id&gt;-&lt;2 hex flags&gt;</c>,
/// lower-case. A header that breaks the rules (wrong length, upper case, version ff, an all-zero id) is invalid, and
/// the request then starts a new trace, as the specification says.
/// </summary>
internal static class TraceParent
{
    /// <summary>Parses <paramref name="header"/>; false when it is not a valid version-00-compatible traceparent.</summary>
    public static bool TryParse(string? header, out ActivityTraceId traceId, out ActivitySpanId parentId, out ActivityTraceFlags flags)
    {
        traceId = default;
        parentId = default;
        flags = ActivityTraceFlags.None;
        if (header is null)
        {
            return false;
        }

        var text = header.Trim();
        // Version 00 is exactly 55 characters; later versions may append fields after a dash.
        if (text.Length < 55 || text[2] != '-' || text[35] != '-' || text[52] != '-' || (text.Length > 55 && (text[..2] == "00" || text[55] != '-')))
        {
            return false;
        }

        var version = text[..2];
        var trace = text[3..35];
        var parent = text[36..52];
        var flagText = text[53..55];
        if (!IsLowerHex(version) || version == "ff" || !IsLowerHex(trace) || !IsLowerHex(parent) || !IsLowerHex(flagText)
            || trace.All(c => c == '0') || parent.All(c => c == '0'))
        {
            return false;
        }

        traceId = ActivityTraceId.CreateFromString(trace);
        parentId = ActivitySpanId.CreateFromString(parent);
        flags = (ActivityTraceFlags)(Convert.ToByte(flagText, 16) & 1);
        return true;
    }

    /// <summary>The header for a trace and span: <c>00-trace-span-flags</c>.</summary>
    public static string Format(ActivityTraceId traceId, ActivitySpanId spanId, ActivityTraceFlags flags) =>
        $"00-{traceId.ToHexString()}-{spanId.ToHexString()}-{((flags & ActivityTraceFlags.Recorded) != 0 ? "01" : "00")}";

    private static bool IsLowerHex(string text) => text.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}
