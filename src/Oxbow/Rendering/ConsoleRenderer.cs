using System.Buffers;
using System.Text;

namespace Oxbow.Rendering;

/// <summary>
/// The human format, one line per event (plus the exception, if any, on the lines after it):
/// <c>2026-11-22T03:39:00.123456Z [info    ] user_logged_in                 attempts=3 user=bob</c>.
/// The label is the <c>event</c> field for log events and the type otherwise; fields are flattened to dotted keys and
/// sorted; events other than plain <c>log</c> end with their type (for sub-events) and short id (<see cref="ShortId"/>), so related lines can
/// be matched up.
/// </summary>
public sealed class ConsoleRenderer : IEventRenderer
{
    private const int LevelWidth = 8;
    private const int LabelWidth = 30;
    private const string Reset = "\u001b[0m";
    private const string Bold = "\u001b[1m";
    private const string Dim = "\u001b[2m";
    private const string Cyan = "\u001b[36m";
    private const string Magenta = "\u001b[35m";

    /// <summary>Creates a renderer; <paramref name="colors"/> null means detect (<see cref="ColorSupport.Detect()"/>).</summary>
    public ConsoleRenderer(bool? colors = null) => Colors = colors ?? ColorSupport.Detect();

    /// <summary>Whether ANSI colours are written.</summary>
    public bool Colors { get; }

    /// <inheritdoc />
    public void Render(OxbowEvent e, IBufferWriter<byte> output)
    {
        var isLog = FieldText.IsLogType(e.Type);
        var label = isLog ? e.Body.TryGetValue("event", out var evt) ? FieldText.Plain(evt) : "" : e.Type;
        var line = new StringBuilder(256);
        line.Append(Paint(Dim, Timestamps.Format(e.End))).Append(' ');
        line.Append('[').Append(Paint(LevelColor(e.Level), e.Level.Name().PadRight(LevelWidth))).Append("] ");
        line.Append(Paint(Bold, label.PadRight(LabelWidth)));

        var fields = FieldText.Flatten(e.Body, key => key == "exception" || (isLog && key == "event"));
        fields.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        if (e.Start != e.End)
        {
            fields.Insert(0, new("duration", (e.End - e.Start).TotalSeconds));
        }

        foreach (var (key, value) in fields)
        {
            line.Append(' ').Append(Paint(Cyan, key)).Append('=').Append(Paint(Magenta, FieldText.Display(value)));
        }

        if (e.Type != "log")
        {
            if (isLog)
            {
                line.Append(' ').Append(Paint(Cyan, "type")).Append('=').Append(Paint(Magenta, e.Type));
            }

            line.Append(' ').Append(Paint(Cyan, "id")).Append('=').Append(Paint(Magenta, ShortId(e.Id)));
        }

        var text = line.ToString().TrimEnd();
        line.Clear().Append(text).Append('\n');
        if (e.Body.TryGetValue("exception", out var exception) && exception is FieldMap map)
        {
            AppendException(line, map, 0);
        }

        output.WriteUtf8(line.ToString());
    }

    private void AppendException(StringBuilder text, FieldMap exception, int depth)
    {
        var type = exception.TryGetValue("type", out var t) ? FieldText.Plain(t) : "Exception";
        var message = exception.TryGetValue("message", out var m) ? FieldText.Plain(m) : "";
        text.Append(depth == 0 ? "" : " ---> ").Append(Paint("\u001b[31m", type)).Append(": ").Append(message).Append('\n');
        if (exception.TryGetValue("frames", out var frames) && frames is List<object?> list)
        {
            foreach (var frame in list.OfType<FieldMap>())
            {
                text.Append("   at ").Append(frame.TryGetValue("method", out var method) ? FieldText.Plain(method) : "?");
                if (frame.TryGetValue("file", out var file))
                {
                    text.Append(" in ").Append(FieldText.Plain(file));
                    if (frame.TryGetValue("line", out var number))
                    {
                        text.Append(":line ").Append(FieldText.Plain(number));
                    }
                }

                text.Append('\n');
            }
        }

        if (exception.TryGetValue("inner", out var inner) && inner is List<object?> innerList)
        {
            foreach (var innerException in innerList.OfType<FieldMap>())
            {
                AppendException(text, innerException, depth + 1);
            }
        }
    }

    /// <summary>The last 8 hex digits of an id: the first ones are the time, which repeats across nearby events.</summary>
    public static string ShortId(string id) => id.Length >= 8 ? id[^8..] : id;

    private string Paint(string color, string text) => Colors ? color + text + Reset : text;

    private static string LevelColor(OxLevel level) => level switch
    {
        OxLevel.Trace => "\u001b[90m",
        OxLevel.Debug => "\u001b[34m",
        OxLevel.Info => "\u001b[32m",
        OxLevel.Warning => "\u001b[33m",
        OxLevel.Error => "\u001b[31m",
        _ => "\u001b[31;1m",
    };
}

/// <summary>Decides whether to colour console output.</summary>
internal static class ColorSupport
{
    /// <summary>Colour unless <c>NO_COLOR</c> is set and non-empty; forced by a non-empty <c>FORCE_COLOR</c> (other than 0); otherwise only when standard output is a terminal. NO_COLOR wins over FORCE_COLOR.</summary>
    public static bool Detect() => Detect(Environment.GetEnvironmentVariable, !Console.IsOutputRedirected);

    /// <summary>The same rule over explicit inputs.</summary>
    public static bool Detect(Func<string, string?> getVariable, bool outputIsTerminal)
    {
        if (getVariable("NO_COLOR") is { Length: > 0 })
        {
            return false;
        }

        if (getVariable("FORCE_COLOR") is { Length: > 0 } force && force != "0" && !force.Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return outputIsTerminal;
    }
}
