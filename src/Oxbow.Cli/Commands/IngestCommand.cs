using System.CommandLine;
using System.Text.RegularExpressions;
using Oxbow.Shipper;
using Oxbow.Transport;

namespace Oxbow.Cli.Commands;

/// <summary><c>oxbow ingest TYPE</c> (stdin) and <c>oxbow ingest -F type:path…</c> (follow files).</summary>
internal static class IngestCommand
{
    public static Command Create()
    {
        var command = new Command("ingest", "Send lines as events: stdin (oxbow ingest TYPE) or followed files (oxbow ingest -F type:path [-F …]). JSON lines become fields.");
        var type = new Argument<string?>("type") { Arity = ArgumentArity.ZeroOrOne, Description = "event type of stdin lines" };
        var follow = new Option<string[]>("--follow", "-F") { Description = "follow a file: type:path, or a path (the type derives from the file name); repeatable", AllowMultipleArgumentsPerToken = false };
        var fromStart = new Option<bool>("--from-start") { Description = "send what a followed file already holds when it has no checkpoint (default: only lines written after start)" };
        var state = new Option<string>("--state") { Description = "checkpoint file of a follower (default $OXBOW_INGEST_STATE or ./oxbow-ingest.state)" };
        var multiline = new Option<string>("--multiline") { Description = "regex of a line that starts a new record; other lines join the previous one (such as '^\\S' or '^\\d{4}-')" };
        var to = new Option<string>("--to") { Description = "ingest address host:port[,host:port…] (default $OXBOW_ENDPOINTS or 127.0.0.1:3514)" };
        var token = new Option<string>("--token") { Description = "ingest token (default $OXBOW_TOKEN)" };
        command.Arguments.Add(type);
        command.Options.Add(follow);
        command.Options.Add(fromStart);
        command.Options.Add(state);
        command.Options.Add(multiline);
        command.Options.Add(to);
        command.Options.Add(token);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var typeName = parse.GetValue(type);
            var files = parse.GetValue(follow) ?? [];
            if ((typeName is null) == (files.Length == 0))
            {
                return ControlClient.Fail("give either TYPE (to read stdin) or -F type:path (to follow files), not both or neither");
            }

            if (typeName is not null && !EventType.IsValid(typeName))
            {
                return ControlClient.Fail($"'{typeName}' is not a valid type name (lower-case [a-z0-9_-] segments joined by dots)");
            }

            var options = new ShipperOptions
            {
                FromStart = parse.GetValue(fromStart),
                StatePath = parse.GetValue(state) ?? Environment.GetEnvironmentVariable("OXBOW_INGEST_STATE") ?? "oxbow-ingest.state",
                Token = parse.GetValue(token) ?? Environment.GetEnvironmentVariable("OXBOW_TOKEN") ?? "",
            };
            var endpoints = parse.GetValue(to) ?? Environment.GetEnvironmentVariable("OXBOW_ENDPOINTS") ?? "127.0.0.1:3514";
            List<FollowSpec> specs = [];
            try
            {
                options.Endpoints = endpoints.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                foreach (var endpoint in options.Endpoints)
                {
                    _ = BatchSender.ParseEndpoint(endpoint);
                }

                if (parse.GetValue(multiline) is { } pattern)
                {
                    options.MultilineStart = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                }

                specs.AddRange(files.Select(FollowSpec.Parse));
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                return ControlClient.Fail(ex.Message);
            }

            await using var runner = new FileShipper(options);
            try
            {
                var result = typeName is not null
                    ? await runner.RunStdinAsync(typeName, Console.OpenStandardInput(), cancellationToken)
                    : await runner.RunFollowAsync(specs, cancellationToken);
                return result.Refused > 0 ? 1 : 0;
            }
            catch (TimeoutException ex)
            {
                return ControlClient.Fail(ex.Message);
            }
            catch (IOException ex)
            {
                return ControlClient.Fail(ex.Message);
            }
        });
        return command;
    }
}
