using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Oxbow.Syslog.Tests.Support;

/// <summary>
/// A real rsyslogd (Debian's), started in the foreground with a private configuration and work directory, on
/// loopback ports. Every configuration gets one extra plain TCP input, the probe, so the tests can wait until
/// rsyslog has bound its inputs; it is killed when disposed.
/// </summary>
internal sealed class Rsyslog : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private Rsyslog(Process process, string directory)
    {
        _process = process;
        Directory = directory;
    }

    public string Directory { get; }

    /// <summary>Where the configurations write what rsyslog received (template <c>fields</c>, one line each).</summary>
    public string OutputFile => Path.Combine(Directory, "received.log");

    /// <summary>
    /// The template that shows what rsyslog understood, tab-separated: mmjsonparse's verdict (copied to <c>$.parsed</c> by the ruleset), the reported time,
    /// host name, app name, procid, msgid, structured data, and the parsed CEE fields as JSON.
    /// </summary>
    public const string FieldsTemplate =
        "template(name=\"fields\" type=\"string\" string=\"%$.parsed%\\t%timereported:::date-rfc3339%\\t%hostname%\\t%app-name%\\t%procid%\\t%msgid%\\t%structured-data%\\t%$!all-json%\\n\")";

    /// <summary>Writes <paramref name="configuration"/> (modules, inputs, rulesets) and starts rsyslogd on it.</summary>
    public static async Task<Rsyslog> StartAsync(string directory, string configuration, string globalSettings = "")
    {
        var probe = DaemonProcess.FreePort();
        var file = Path.Combine(directory, "rsyslog.conf");
        File.WriteAllText(file, $"""
            global(workDirectory="{directory}" maxMessageSize="64k" {globalSettings})
            module(load="imtcp")
            input(type="imtcp" port="{probe}" address="127.0.0.1" name="probe")
            {FieldsTemplate}
            {configuration}
            """);
        // Debian installs it in /usr/sbin, which is not on every user's PATH.
        var executable = File.Exists("/usr/sbin/rsyslogd") ? "/usr/sbin/rsyslogd" : "rsyslogd";
        var info = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-n", "-f", file, "-i", Path.Combine(directory, "rsyslogd.pid") })
        {
            info.ArgumentList.Add(argument);
        }

        var rsyslog = new Rsyslog(Process.Start(info)!, directory);
        rsyslog._process.OutputDataReceived += (_, e) => rsyslog.Append(e.Data);
        rsyslog._process.ErrorDataReceived += (_, e) => rsyslog.Append(e.Data);
        rsyslog._process.BeginOutputReadLine();
        rsyslog._process.BeginErrorReadLine();
        await Eventually.TrueAsync(() =>
        {
            if (rsyslog._process.HasExited)
            {
                rsyslog._process.WaitForExit(); // delivers the last output lines, which exit can overtake
                throw new InvalidOperationException($"rsyslogd exited with {rsyslog._process.ExitCode}:\n{rsyslog.Output}");
            }

            try
            {
                using var client = new TcpClient();
                client.Connect("127.0.0.1", probe);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }, () => $"rsyslogd did not open its inputs:\n{rsyslog.Output}");
        return rsyslog;
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Waits until rsyslog has written <paramref name="count"/> lines to <see cref="OutputFile"/>, and returns them.</summary>
    public async Task<string[]> ReceivedAsync(int count)
    {
        string[] lines = [];
        await Eventually.TrueAsync(() =>
        {
            lines = File.Exists(OutputFile) ? File.ReadAllLines(OutputFile) : [];
            return lines.Length >= count;
        }, () => $"rsyslog wrote {lines.Length} of {count} lines:\n{string.Join('\n', lines)}\n{Output}");
        return lines;
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
