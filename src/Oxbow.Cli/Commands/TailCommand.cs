using System.CommandLine;

namespace Oxbow.Cli.Commands;

/// <summary><c>oxbow tail</c>: live events from a daemon's control port.</summary>
internal static class TailCommand
{
    public static Command Create()
    {
        var command = new Command("tail", "Stream events live as the daemon accepts them.");
        var type = new Option<string>("--type") { Description = "type, or prefix ending in * (request*)" };
        var field = new Option<string[]>("--field") { Description = "field filter name=value, such as level=error (repeatable)", AllowMultipleArgumentsPerToken = false };
        var pretty = new Option<bool>("--pretty") { Description = "readable lines instead of JSON" };
        command.Options.Add(type);
        command.Options.Add(field);
        command.Options.Add(pretty);
        ControlClient.AddTo(command);
        command.SetAction((parse, cancellationToken) => ControlClient.RunAsync(async () =>
        {
            using var client = ControlClient.Create(parse, Timeout.InfiniteTimeSpan);
            var query = new List<string>();
            if (parse.GetValue(type) is { } t)
            {
                query.Add("type=" + Uri.EscapeDataString(t));
            }

            foreach (var f in parse.GetValue(field) ?? [])
            {
                query.Add("field=" + Uri.EscapeDataString(f));
            }

            using var response = await client.GetAsync("v1/tail" + (query.Count > 0 ? "?" + string.Join('&', query) : ""), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (await ControlClient.CheckAsync(response) is var failed and not 0)
            {
                return failed;
            }

            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
            try
            {
                while (await reader.ReadLineAsync(cancellationToken) is { } line)
                {
                    if (line.Length == 0)
                    {
                        continue;
                    }

                    Console.Out.WriteLine(parse.GetValue(pretty) ? PrettyLine.Format(line) : line);
                    Console.Out.Flush();
                }
            }
            catch (OperationCanceledException)
            {
                return 0;
            }

            return ControlClient.Fail("the daemon closed the tail");
        }));
        return command;
    }
}
