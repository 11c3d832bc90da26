using System.Buffers;
using System.Text;
using Oxbow.Rendering;

namespace Oxbow.Daemon.Systemd;

/// <summary>
/// The daemon's console output for journald (when systemd sets <c>$JOURNAL_STREAM</c>): the human format without
/// colour and without the timestamp, which the journal records itself, each line prefixed with its syslog priority
/// (<c>&lt;6&gt;</c> for info, <c>&lt;4&gt;</c> for warnings, <c>&lt;3&gt;</c> for errors), as <c>sd-daemon(3)</c>
/// describes, so <c>journalctl -p warning</c> works.
/// </summary>
internal sealed class JournalRenderer : IEventRenderer
{
    private readonly ConsoleRenderer _inner = new(colors: false);

    /// <summary>Whether standard error is the journal's stream: <c>$JOURNAL_STREAM</c> is set, as systemd sets it.</summary>
    public static bool IsJournalStream(Func<string, string?> environment) => environment("JOURNAL_STREAM") is { Length: > 0 };

    public void Render(OxbowEvent e, IBufferWriter<byte> output)
    {
        var text = _inner.RenderToString(e);
        // The console format begins with the timestamp and one space.
        var body = text.Length > Timestamps.Length && text[Timestamps.Length] == ' ' ? text[(Timestamps.Length + 1)..] : text;
        var prefix = "<" + Priority(e.Level) + ">";
        var lines = new StringBuilder(body.Length + 16);
        foreach (var line in body.TrimEnd('\n').Split('\n'))
        {
            lines.Append(prefix).Append(line).Append('\n');
        }

        var bytes = Encoding.UTF8.GetBytes(lines.ToString());
        output.Write(bytes);
    }

    private static int Priority(OxLevel level) => level switch
    {
        OxLevel.Trace or OxLevel.Debug => 7,
        OxLevel.Info => 6,
        OxLevel.Warning => 4,
        OxLevel.Error => 3,
        _ => 2,
    };
}
