using System.Buffers;
using System.Globalization;
using Oxbow.Codec;

namespace Oxbow.Rendering;

/// <summary>
/// CEE (Common Event Expression) for syslog: <c>@cee: {json}</c> with the CEE core fields first:
/// <c>time</c> (microseconds and UTC offset), <c>p_proc</c>/<c>pname</c> (app, else the process name), <c>p_sys</c>/<c>host</c>,
/// <c>pid</c>, <c>pri</c> (syslog priority: facility × 8 + severity), <c>msg</c> (the <c>event</c> field, else
/// <c>message</c>, else the type), then <c>level</c>, <c>id</c>, <c>type</c>, trace ids, and the body fields.
/// A body field whose name collides with a core field is written as <c>field_&lt;name&gt;</c>.
/// </summary>
public sealed class CeeRenderer : IEventRenderer
{
    private static readonly HashSet<string> CoreFields =
        ["time", "p_proc", "pname", "p_sys", "host", "pid", "pri", "msg", "level", "id", "type", "trace_id", "span_id", "duration"];

    private static readonly KeyCache NoRedaction = new(RedactionPolicy.None);

    private static readonly Lazy<string> s_processName = new(static () =>
    {
        try
        {
            using var process = System.Diagnostics.Process.GetCurrentProcess();
            return process.ProcessName;
        }
        catch (Exception ex) when (ex is InvalidOperationException or PlatformNotSupportedException)
        {
            return "oxbow";
        }
    });

    private readonly TimeZoneInfo _zone;

    /// <summary>CEE requires <c>p_proc</c>: an event with an empty app name is written with the process's name.</summary>
    internal static string ProcessName => s_processName.Value;

    /// <summary>Creates a renderer.</summary>
    /// <param name="facility">Syslog facility for <c>pri</c>; default 1 (user).</param>
    /// <param name="timeZone">Zone for <c>time</c>; default UTC (offset <c>+00:00</c>).</param>
    public CeeRenderer(int facility = 1, TimeZoneInfo? timeZone = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(facility);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(facility, 23);
        Facility = facility;
        _zone = timeZone ?? TimeZoneInfo.Utc;
    }

    /// <summary>
    /// Whether <paramref name="name"/> is one of the fields this renderer writes itself (a body field of that name is
    /// written as <c>field_&lt;name&gt;</c>): what a receiver reads back into the envelope.
    /// </summary>
    public static bool IsCoreField(string name) => CoreFields.Contains(name);

    /// <summary>Syslog facility.</summary>
    public int Facility { get; }

    /// <summary>Syslog severity of a level (RFC 5424): trace and debug 7, info 6, warning 4, error 3, critical 2.</summary>
    public static int Severity(OxLevel level) => level switch
    {
        OxLevel.Trace or OxLevel.Debug => 7,
        OxLevel.Info => 6,
        OxLevel.Warning => 4,
        OxLevel.Error => 3,
        _ => 2,
    };

    /// <summary>The CEE/RFC 3339 time: local to the zone, six fraction digits, numeric offset.</summary>
    public string FormatTime(DateTime utc)
    {
        var local = TimeZoneInfo.ConvertTimeFromUtc(utc, _zone);
        var offset = new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), _zone.GetUtcOffset(utc));
        return offset.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public void Render(OxbowEvent e, IBufferWriter<byte> output)
    {
        var w = new Utf8EventWriter(512);
        Write(w, e, int.MaxValue);
        w.Raw("\n"u8);
        output.Write(w.WrittenSpan);
    }

    /// <summary>
    /// Writes <c>@cee: {json}</c> without a line end, in at most <paramref name="maxBytes"/> bytes when the core fields
    /// allow: body fields that would go past the budget are left out, and <c>oxbow_truncated</c> says how many.
    /// The JSON stays valid either way, so a receiver still parses what fits. Returns the number left out.
    /// </summary>
    internal int Write(Utf8EventWriter w, OxbowEvent e, int maxBytes)
    {
        // Room kept for the closing brace and the truncation marker, so adding them never breaks the budget.
        const int TailReserve = 32;
        var start = w.Length;
        w.Raw("@cee: {\"time\":"u8);
        w.String(FormatTime(e.End));
        var process = e.App.Length > 0 ? e.App : ProcessName;
        w.Raw(",\"p_proc\":"u8);
        w.String(process);
        w.Raw(",\"pname\":"u8);
        w.String(process);
        w.Raw(",\"p_sys\":"u8);
        w.String(e.Host);
        w.Raw(",\"host\":"u8);
        w.String(e.Host);
        w.Raw(",\"pid\":"u8);
        w.Int64(e.Pid);
        w.Raw(",\"pri\":"u8);
        w.Int64((Facility * 8) + Severity(e.Level));
        w.Raw(",\"msg\":"u8);
        w.String(Message(e));
        w.Raw(",\"level\":"u8);
        w.String(e.Level.Name());
        w.Raw(",\"id\":"u8);
        w.String(e.Id);
        w.Raw(",\"type\":"u8);
        w.String(e.Type);
        CanonicalJson.WriteTrace(w, e.TraceId, e.SpanId);

        if (e.Start != e.End)
        {
            w.Raw(",\"duration\":"u8);
            w.Double((e.End - e.Start).TotalSeconds);
        }

        var omitted = 0;
        foreach (var (key, value) in e.Body)
        {
            if (key == "event" && FieldText.IsLogType(e.Type))
            {
                continue;
            }

            var before = w.Length;
            if (omitted == 0)
            {
                w.Byte((byte)',');
                w.String(CoreFields.Contains(key) ? "field_" + key : key);
                w.Byte((byte)':');
                w.Object(value, NoRedaction, 1);
                if (w.Length - start + TailReserve <= maxBytes)
                {
                    continue;
                }

                w.Truncate(before);
            }

            omitted++;
        }

        if (omitted > 0)
        {
            w.Raw(",\"oxbow_truncated\":"u8);
            w.Int64(omitted);
        }

        w.Byte((byte)'}');
        return omitted;
    }

    internal static string Message(OxbowEvent e) =>
        e.Body.TryGetValue("event", out var evt) && evt is string text ? text
        : e.Body.TryGetValue("message", out var message) && message is string m ? m
        : e.Type;
}
