using System.Globalization;

namespace Oxbow.Daemon.Syslog;

/// <summary>
/// Parses one syslog message without its transport framing. <c>&lt;PRI&gt;1 …</c> is RFC 5424 and is parsed
/// strictly; anything else is RFC 3164, parsed the lenient way real senders need (rsyslog's forwarding formats,
/// <c>logger</c>, network devices): an optional <c>Mmm dd HH:mm:ss</c> or RFC 3339 timestamp, then a host name, then
/// an optional <c>tag[pid]:</c>; whatever does not fit is kept as the message.
/// </summary>
internal static class SyslogParser
{
    /// <summary>Parses <paramref name="text"/>.</summary>
    /// <param name="text">The message, already decoded from UTF-8.</param>
    /// <param name="nowUtc">Arrival time: RFC 3164 timestamps have no year, and the nearest year not in the future is taken.</param>
    /// <param name="zone3164">Zone that RFC 3164 timestamps (which carry none) are read in.</param>
    /// <exception cref="FormatException">The PRI or an RFC 5424 header is broken; the message says where.</exception>
    public static SyslogMessage Parse(string text, DateTime nowUtc, TimeZoneInfo zone3164)
    {
        var span = text.AsSpan().TrimEnd("\r\n\0");
        if (span.IsEmpty)
        {
            throw new FormatException("empty message");
        }

        var pri = 13; // RFC 3164 section 4.3.3: a message without PRI is user.notice
        if (span[0] == '<')
        {
            var close = span.IndexOf('>');
            if (close is < 2 or > 4 || !int.TryParse(span[1..close], NumberStyles.None, CultureInfo.InvariantCulture, out pri) || pri > 191)
            {
                throw new FormatException($"PRI must be <0> to <191>, not '{Shorten(span[..Math.Min(span.Length, 6)])}'");
            }

            span = span[(close + 1)..];
        }

        return span.StartsWith("1 ")
            ? ParseRfc5424(span[2..], pri)
            : ParseRfc3164(span, pri, nowUtc, zone3164);
    }

    private static SyslogMessage ParseRfc5424(ReadOnlySpan<char> span, int pri)
    {
        var timestamp = Token(ref span, "TIMESTAMP");
        var host = Token(ref span, "HOSTNAME");
        var app = Token(ref span, "APP-NAME");
        var procId = Token(ref span, "PROCID");
        var msgId = Token(ref span, "MSGID");
        DateTimeOffset? time = null;
        if (timestamp != "-")
        {
            time = ParseRfc3339(timestamp) ?? throw new FormatException($"TIMESTAMP '{Shorten(timestamp)}' is not RFC 3339");
        }

        var structuredData = new List<StructuredDataElement>();
        if (span.StartsWith("-"))
        {
            span = span[1..];
        }
        else if (span.StartsWith("["))
        {
            while (span.StartsWith("["))
            {
                structuredData.Add(ParseElement(ref span));
            }
        }
        else
        {
            throw new FormatException("STRUCTURED-DATA must be '-' or start with '['");
        }

        if (!span.IsEmpty)
        {
            if (span[0] != ' ')
            {
                throw new FormatException("expected a space after STRUCTURED-DATA");
            }

            span = span[1..];
        }

        // MSG may start with a UTF-8 byte-order mark (RFC 5424 section 6.4); it is not part of the text.
        if (span.StartsWith("\uFEFF"))
        {
            span = span[1..];
        }

        return new SyslogMessage(pri / 8, pri % 8, time, Nil(host), Nil(app), Nil(procId), Nil(msgId), structuredData, span.ToString());
    }

    private static StructuredDataElement ParseElement(ref ReadOnlySpan<char> span)
    {
        span = span[1..];
        var idEnd = span.IndexOfAny(' ', ']');
        if (idEnd <= 0 || idEnd > 32)
        {
            throw new FormatException("SD-ID must be 1 to 32 characters");
        }

        var id = span[..idEnd].ToString();
        span = span[idEnd..];
        var parameters = new List<KeyValuePair<string, string>>();
        while (span.StartsWith(" "))
        {
            span = span[1..];
            var eq = span.IndexOf('=');
            if (eq <= 0 || eq > 32 || span.Length < eq + 2 || span[eq + 1] != '"')
            {
                throw new FormatException($"SD-PARAM in [{id}] must be name=\"value\"");
            }

            var name = span[..eq].ToString();
            span = span[(eq + 2)..];
            var value = new System.Text.StringBuilder();
            var closed = false;
            while (!span.IsEmpty)
            {
                var c = span[0];
                span = span[1..];
                if (c == '\\' && !span.IsEmpty && span[0] is '"' or '\\' or ']')
                {
                    value.Append(span[0]);
                    span = span[1..];
                }
                else if (c == '"')
                {
                    closed = true;
                    break;
                }
                else
                {
                    value.Append(c);
                }
            }

            if (!closed)
            {
                throw new FormatException($"SD-PARAM {name} in [{id}] has no closing quote");
            }

            parameters.Add(new(name, value.ToString()));
        }

        if (!span.StartsWith("]"))
        {
            throw new FormatException($"SD-ELEMENT [{id}] has no closing ']'");
        }

        span = span[1..];
        return new StructuredDataElement(id, parameters);
    }

    private static SyslogMessage ParseRfc3164(ReadOnlySpan<char> span, int pri, DateTime nowUtc, TimeZoneInfo zone)
    {
        DateTimeOffset? time = null;
        string? host = null;
        if (TryBsdTimestamp(span, nowUtc, zone, out var bsd))
        {
            time = bsd;
            span = span[15..].TrimStart(' ');
        }
        else
        {
            // rsyslog's forwarding formats put an RFC 3339 timestamp where 3164 has its own.
            var space = span.IndexOf(' ');
            if (space > 0 && ParseRfc3339(span[..space]) is { } precise)
            {
                time = precise;
                span = span[(space + 1)..];
            }
        }

        if (time is not null)
        {
            // RFC 3164 section 4.3.2: the host name follows a valid timestamp.
            var space = span.IndexOf(' ');
            host = (space < 0 ? span : span[..space]).ToString();
            span = space < 0 ? [] : span[(space + 1)..];
        }

        // TAG: up to 48 characters of [A-Za-z0-9_./-], ended by "[pid]", ":" or, after a full header, a space
        // (as rsyslog reads it: its forwarding format writes a 5424 sender's app name without the colon).
        string? app = null, procId = null;
        var tagLength = 0;
        while (tagLength < span.Length && tagLength < 48 && (char.IsAsciiLetterOrDigit(span[tagLength]) || span[tagLength] is '_' or '.' or '/' or '-'))
        {
            tagLength++;
        }

        if (tagLength > 0 && tagLength < span.Length && (span[tagLength] is '[' or ':' || (span[tagLength] == ' ' && host is not null)))
        {
            var rest = span[tagLength..];
            string? pid = null;
            if (rest[0] == '[')
            {
                var close = rest.IndexOf(']');
                if (close > 1)
                {
                    pid = rest[1..close].ToString();
                    rest = rest[(close + 1)..];
                }
            }

            if (rest.StartsWith(":") || rest.StartsWith(" ") || pid is not null)
            {
                app = span[..tagLength].ToString();
                procId = pid;
                span = rest.StartsWith(":") ? rest[1..] : rest;
                if (span.StartsWith(" "))
                {
                    span = span[1..];
                }
            }
        }

        return new SyslogMessage(pri / 8, pri % 8, time, host, app, procId, null, [], span.ToString());
    }

    /// <summary><c>Mmm dd HH:mm:ss</c> (the day space-padded), in <paramref name="zone"/>, in the latest year that is not in the future.</summary>
    private static bool TryBsdTimestamp(ReadOnlySpan<char> span, DateTime nowUtc, TimeZoneInfo zone, out DateTimeOffset time)
    {
        time = default;
        if (span.Length < 16 || span[3] != ' ' || span[15] != ' ')
        {
            return false;
        }

        var month = Array.IndexOf(CultureInfo.InvariantCulture.DateTimeFormat.AbbreviatedMonthNames, span[..3].ToString()) + 1;
        if (month == 0
            || !int.TryParse(span[4..6].TrimStart(' '), NumberStyles.None, CultureInfo.InvariantCulture, out var day)
            || !TimeOnly.TryParseExact(span[7..15], "HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var clock))
        {
            return false;
        }

        var localNow = TimeZoneInfo.ConvertTimeFromUtc(nowUtc, zone);
        for (var year = localNow.Year + 1; year >= localNow.Year - 1; year--)
        {
            if (day > DateTime.DaysInMonth(year, month))
            {
                continue;
            }

            var local = new DateTime(year, month, day, clock.Hour, clock.Minute, clock.Second, DateTimeKind.Unspecified);
            var candidate = new DateTimeOffset(local, zone.GetUtcOffset(local));
            // Clocks drift: a stamp up to a day ahead still belongs to this year.
            if (candidate.UtcDateTime <= nowUtc.AddDays(1))
            {
                time = candidate;
                return true;
            }
        }

        return false;
    }

    private static DateTimeOffset? ParseRfc3339(ReadOnlySpan<char> text) =>
        text.Length >= 20 && text[10] == 'T' && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value)
            ? value
            : null;

    private static string Token(ref ReadOnlySpan<char> span, string name)
    {
        var space = span.IndexOf(' ');
        if (space <= 0)
        {
            throw new FormatException($"RFC 5424 header ends before {name}");
        }

        var token = span[..space].ToString();
        span = span[(space + 1)..];
        return token;
    }

    private static string? Nil(string value) => value == "-" ? null : value;

    private static string Shorten(ReadOnlySpan<char> text) => text.Length <= 32 ? text.ToString() : text[..32].ToString() + "…";
}
