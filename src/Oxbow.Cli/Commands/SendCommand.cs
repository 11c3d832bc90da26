using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Oxbow.Cli.Commands;

/// <summary><c>oxbow send TYPE key=value…</c>: one event from a shell script, through HTTP ingest.</summary>
internal static class SendCommand
{
    public static Command Create()
    {
        var command = new Command("send", "Send one event: oxbow send TYPE key=value… (dotted keys nest; numbers and true/false stay typed).");
        var type = new Argument<string>("type") { Description = "event type, such as deploy or backup.finished" };
        var fields = new Argument<string[]>("fields") { Arity = ArgumentArity.ZeroOrMore, Description = "key=value pairs" };
        var level = new Option<string>("--level") { Description = "debug, info, warning, error or critical (default info)" };
        command.Arguments.Add(type);
        command.Arguments.Add(fields);
        command.Options.Add(level);
        ControlClient.AddTo(command);
        command.SetAction((parse, _) => ControlClient.RunAsync(async () =>
        {
            var typeName = parse.GetValue(type)!;
            if (!EventType.IsValid(typeName))
            {
                return ControlClient.Fail($"'{typeName}' is not a valid type name (lower-case [a-z0-9_-] segments joined by dots)");
            }

            var body = new JsonObject();
            foreach (var pair in parse.GetValue(fields) ?? [])
            {
                var eq = pair.IndexOf('=');
                if (eq <= 0)
                {
                    return ControlClient.Fail($"'{pair}' is not key=value");
                }

                var path = pair[..eq].Split('.');
                var node = body;
                foreach (var part in path[..^1])
                {
                    node = node[part] as JsonObject ?? (JsonObject)(node[part] = new JsonObject());
                }

                node[path[^1]] = Value(pair[(eq + 1)..]);
            }

            var identity = ProcessIdentity.Current;
            var now = DateTime.UtcNow;
            var e = new JsonObject
            {
                ["type"] = typeName,
                ["end"] = Timestamps.Format(now),
                ["level"] = parse.GetValue(level) ?? "info",
                ["host"] = identity.Host,
                ["pid"] = Environment.ProcessId,
                ["app"] = Environment.GetEnvironmentVariable("OXBOW_APP") ?? "oxbow-send",
                ["body"] = body,
            };
            using var client = ControlClient.Create(parse);
            using var response = await client.PostAsync("v1/events", new StringContent(e.ToJsonString() + "\n", Encoding.UTF8, "application/x-ndjson"));
            return await ControlClient.CheckAsync(response);
        }));
        return command;
    }

    private static JsonNode? Value(string text) => text switch
    {
        "true" => true,
        "false" => false,
        "null" => null,
        _ when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => l,
        _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) => d,
        _ => text,
    };
}
