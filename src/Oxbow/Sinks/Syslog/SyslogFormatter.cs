using System.Globalization;
using System.Text;
using Oxbow.Codec;
using Oxbow.Rendering;

namespace Oxbow.Sinks.Syslog;

/// <summary>
/// Builds one syslog message (without transport framing) from an event: an RFC 5424 or RFC 3164 header, then the
/// CEE payload or the plain message. Header fields are cut to the RFC's lengths and character sets, and structured
/// data values are escaped (<c>"</c>, <c>\</c> and <c>]</c> get a backslash), so a receiver never misparses them.
/// </summary>
internal sealed class SyslogFormatter
{
    private readonly SyslogSinkOptions _options;
    private readonly CeeRenderer _cee;

    public SyslogFormatter(SyslogSinkOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.Facility);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Facility, 23);
        if (string.IsNullOrEmpty(options.StructuredDataId) || !IsPrintableName(options.StructuredDataId))
        {
            throw new ArgumentException($"'{options.StructuredDataId}' is not a valid SD-ID (1–32 printable ASCII characters, none of = space ] \")", nameof(options));
        }

        if (options.StructuredDataFields.Where(f => !IsPrintableName(f)).ToArray() is { Length: > 0 } invalid)
        {
            throw new ArgumentException(
                $"StructuredDataFields: {string.Join(", ", invalid.Select(f => $"'{f}'"))} cannot be SD-PARAM names (1–32 printable ASCII characters, none of = space ] \")", nameof(options));
        }

        _options = options;
        _cee = new CeeRenderer(options.Facility, options.TimeZone);
    }

    /// <summary>
    /// Writes the message for <paramref name="e"/> into <paramref name="w"/> in at most <paramref name="maxBytes"/>
    /// bytes where possible; returns true when something had to be left out to fit.
    /// </summary>
    public bool Write(Utf8EventWriter w, OxbowEvent e, int maxBytes)
    {
        var start = w.Length;
        var pri = (_options.Facility * 8) + CeeRenderer.Severity(e.Level);
        if (_options.Format == SyslogFormat.Rfc5424)
        {
            WriteRfc5424Header(w, e, pri);
        }
        else
        {
            WriteRfc3164Header(w, e, pri);
        }

        var budget = maxBytes - (w.Length - start);
        if (_options.Cee)
        {
            return _cee.Write(w, e, budget) > 0 || w.Length - start > maxBytes;
        }

        var text = CeeRenderer.Message(e);
        var bytes = Encoding.UTF8.GetBytes(text);
        if (bytes.Length <= budget)
        {
            w.Raw(bytes);
            return false;
        }

        w.Raw(bytes.AsSpan(0, Utf8Prefix(bytes, Math.Max(0, budget))));
        return true;
    }

    private void WriteRfc5424Header(Utf8EventWriter w, OxbowEvent e, int pri)
    {
        Ascii(w, $"<{pri}>1 {_cee.FormatTime(e.End)} ");
        HeaderField(w, e.Host, 255);
        w.Byte((byte)' ');
        HeaderField(w, e.App, 48);
        w.Byte((byte)' ');
        HeaderField(w, e.Pid > 0 ? e.Pid.ToString(CultureInfo.InvariantCulture) : "", 128);
        w.Byte((byte)' ');
        HeaderField(w, e.Type, 32);
        w.Raw(" ["u8);
        Ascii(w, _options.StructuredDataId);
        Param(w, "id", e.Id);
        Param(w, "type", e.Type);
        Param(w, "level", e.Level.Name());
        if (e.TraceId is not null)
        {
            Param(w, "trace_id", e.TraceId);
        }

        if (e.SpanId is not null)
        {
            Param(w, "span_id", e.SpanId);
        }

        foreach (var field in _options.StructuredDataFields)
        {
            if (e.Body.TryGetValue(field, out var value) && value is not null and not FieldMap and not List<object?>)
            {
                Param(w, field, FieldText.Plain(value));
            }
        }

        w.Raw("] "u8);
    }

    private void WriteRfc3164Header(Utf8EventWriter w, OxbowEvent e, int pri)
    {
        var local = TimeZoneInfo.ConvertTimeFromUtc(e.End, _options.TimeZone);
        // The day is padded with a space, not a zero ("Nov  2"), as RFC 3164 section 4.1.2 requires.
        Ascii(w, string.Create(CultureInfo.InvariantCulture, $"<{pri}>{local:MMM} {local.Day,2} {local:HH:mm:ss} "));
        HeaderField(w, e.Host, 255);
        w.Byte((byte)' ');
        var tag = new StringBuilder();
        foreach (var c in e.App)
        {
            if (tag.Length == 32)
            {
                break;
            }

            tag.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '/' ? c : '_');
        }

        Ascii(w, tag.Length == 0 ? "oxbow" : tag.ToString());
        if (e.Pid > 0)
        {
            Ascii(w, string.Create(CultureInfo.InvariantCulture, $"[{e.Pid}]"));
        }

        w.Raw(": "u8);
    }

    /// <summary>A 5424 header field: printable US-ASCII only (others become <c>_</c>), cut to its maximum, <c>-</c> when empty.</summary>
    private static void HeaderField(Utf8EventWriter w, string value, int maxLength)
    {
        if (value.Length == 0)
        {
            w.Byte((byte)'-');
            return;
        }

        for (var i = 0; i < value.Length && i < maxLength; i++)
        {
            var c = value[i];
            w.Byte(c is > ' ' and < (char)127 ? (byte)c : (byte)'_');
        }
    }

    private static void Param(Utf8EventWriter w, string name, string value)
    {
        w.Byte((byte)' ');
        Ascii(w, name);
        w.Raw("=\""u8);
        var bytes = Encoding.UTF8.GetBytes(value);
        foreach (var b in bytes)
        {
            if (b is (byte)'"' or (byte)'\\' or (byte)']')
            {
                w.Byte((byte)'\\');
            }

            w.Byte(b);
        }

        w.Byte((byte)'"');
    }

    private static void Ascii(Utf8EventWriter w, string text)
    {
        foreach (var c in text)
        {
            w.Byte((byte)c);
        }
    }

    /// <summary>SD-NAME: 1–32 printable US-ASCII characters except <c>= ] "</c> and space.</summary>
    private static bool IsPrintableName(string name) =>
        name.Length is > 0 and <= 32 && name.All(c => c is > ' ' and < (char)127 and not '=' and not ']' and not '"');

    /// <summary>The longest prefix of at most <paramref name="max"/> bytes that ends on a character boundary.</summary>
    private static int Utf8Prefix(ReadOnlySpan<byte> bytes, int max)
    {
        var n = Math.Min(max, bytes.Length);
        while (n > 0 && n < bytes.Length && (bytes[n] & 0xC0) == 0x80)
        {
            n--;
        }

        return n;
    }
}
