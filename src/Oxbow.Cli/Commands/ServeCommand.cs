using System.CommandLine;
using Oxbow.Daemon;
using Oxbow.Daemon.Configuration;
using Oxbow.Sinks;

namespace Oxbow.Cli.Commands;

/// <summary><c>oxbow serve</c>: a collector, or with <c>--forward</c> an agent.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var command = new Command("serve", "Run the daemon: a collector that stores, or with --forward an agent that forwards.");
        var config = new Option<string>("--config") { Description = "JSON config file (also $OXBOW_CONFIG)" };
        command.Options.Add(config);
        var options = DaemonOptions.Settings.Select(s =>
        {
            var option = new Option<string>("--" + s.Flag) { Description = $"{s.Description} (${s.Environment})" };
            command.Options.Add(option);
            return (s.Flag, Option: option);
        }).ToArray();
        command.SetAction(async (parse, cancellationToken) =>
        {
            var flags = new Dictionary<string, string>();
            if (parse.GetValue(config) is { } path)
            {
                flags["config"] = path;
            }

            foreach (var (flag, option) in options)
            {
                if (parse.GetValue(option) is { } value)
                {
                    flags[flag] = value;
                }
            }

            DaemonOptions daemonOptions;
            try
            {
                daemonOptions = DaemonOptions.Load(flags, Environment.GetEnvironmentVariable);
            }
            catch (Exception ex) when (ex is FormatException or IOException or System.Text.Json.JsonException or UnauthorizedAccessException)
            {
                return ControlClient.Fail(ex.Message);
            }

            // The daemon's own events go to the console through Oxbow itself.
            Ox.Configure(o =>
            {
                o.App = "oxbow";
                o.Sinks.Clear();
                o.WriteTo(new ConsoleSink(ConsoleFormat(Environment.GetEnvironmentVariable)));
            });
            try
            {
                await new OxbowDaemon(daemonOptions).RunAsync(CancellationToken.None);
                return 0;
            }
            catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                return ControlClient.Fail(ex.Message);
            }
            finally
            {
                Ox.Shutdown();
            }
        });
        return command;
    }

    /// <summary>JSON lines with <c>OXBOW_CONSOLE=json</c>; under systemd (journald's stream), priorities without timestamps; else the human format.</summary>
    private static Rendering.IEventRenderer ConsoleFormat(Func<string, string?> environment) =>
        environment("OXBOW_CONSOLE") == "json" ? new Rendering.JsonRenderer()
        : Daemon.Systemd.JournalRenderer.IsJournalStream(environment) ? new Daemon.Systemd.JournalRenderer()
        : new Rendering.ConsoleRenderer();
}
