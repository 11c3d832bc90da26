using System.CommandLine;
using System.Text;
using System.Text.Json;

namespace Oxbow.Cli.Commands;

/// <summary><c>oxbow ctl status|reroute|shutdown</c>.</summary>
internal static class CtlCommand
{
    public static Command Create()
    {
        var command = new Command("ctl", "Control a running daemon.");
        var status = new Command("status", "Show what the daemon is doing.");
        var raw = new Option<bool>("--raw") { Description = "print the /v1/stats JSON as it is" };
        status.Options.Add(raw);
        ControlClient.AddTo(status);
        status.SetAction((parse, _) => ControlClient.RunAsync(async () =>
        {
            using var client = ControlClient.Create(parse);
            using var response = await client.GetAsync("v1/stats");
            if (await ControlClient.CheckAsync(response) is var failed and not 0)
            {
                return failed;
            }

            var json = await response.Content.ReadAsStringAsync();
            Console.Out.Write(parse.GetValue(raw) ? json : Summary(json));
            return 0;
        }));

        var reroute = new Command("reroute", "Point an agent at other upstreams.");
        var endpoints = new Argument<string>("upstreams") { Description = "host:port[,host:port…]" };
        reroute.Arguments.Add(endpoints);
        ControlClient.AddTo(reroute);
        reroute.SetAction((parse, _) => ControlClient.RunAsync(async () =>
        {
            using var client = ControlClient.Create(parse);
            using var response = await client.PostAsync("v1/reroute", new StringContent(parse.GetValue(endpoints)!, Encoding.UTF8, "text/plain"));
            return await ControlClient.CheckAsync(response);
        }));

        var shutdown = new Command("shutdown", "Drain and stop the daemon.");
        ControlClient.AddTo(shutdown);
        shutdown.SetAction((parse, _) => ControlClient.RunAsync(async () =>
        {
            using var client = ControlClient.Create(parse);
            using var response = await client.PostAsync("v1/shutdown", null);
            return await ControlClient.CheckAsync(response);
        }));

        command.Subcommands.Add(status);
        command.Subcommands.Add(reroute);
        command.Subcommands.Add(shutdown);
        return command;
    }

    private static string Summary(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var text = new StringBuilder();
        text.Append($"{root.GetProperty("name").GetString()} ({root.GetProperty("role").GetString()}), up {root.GetProperty("uptime_seconds").GetDouble():0}s\n");
        var spool = root.GetProperty("spool");
        text.Append($"spool: {spool.GetProperty("pending_events").GetInt64()} events pending, {spool.GetProperty("bytes").GetInt64()} of {spool.GetProperty("max_bytes").GetInt64()} bytes, {spool.GetProperty("dropped_events").GetInt64()} dropped\n");
        if (root.TryGetProperty("upstream", out var upstream))
        {
            text.Append($"upstream: {upstream.GetProperty("state").GetString()} {upstream.GetProperty("connected")} forwarded {upstream.GetProperty("forwarded_events").GetInt64()} events; last error: {upstream.GetProperty("last_error")}\n");
        }

        if (root.TryGetProperty("store", out var store))
        {
            text.Append($"store: {store.GetProperty("events").GetInt64()} events, {store.GetProperty("open_files").GetInt32()} open files, {store.GetProperty("sealed_files").GetInt64()} sealed\n");
        }

        AppendStreams(text, root, "types", "type");
        AppendStreams(text, root, "hosts", "host");

        foreach (var reject in root.GetProperty("rejects").EnumerateObject())
        {
            text.Append($"  rejected {reject.Name}: {reject.Value.GetInt64()}\n");
        }

        return text.ToString();
    }

    /// <summary>One line per type or host: events, when it was last seen, and its lag (arrival minus the event's end).</summary>
    private static void AppendStreams(StringBuilder text, JsonElement root, string property, string label)
    {
        if (!root.TryGetProperty(property, out var streams))
        {
            return;
        }

        foreach (var stream in streams.EnumerateObject())
        {
            var v = stream.Value;
            text.Append(System.Globalization.CultureInfo.InvariantCulture,
                $"  {label} {stream.Name}: {v.GetProperty("events").GetInt64()} events, last seen {v.GetProperty("last_seen").GetString()}, lag {v.GetProperty("lag_seconds").GetDouble():0.###} s\n");
        }
    }
}
