using System.Diagnostics;
using System.Text;
using Oxbow.Daemon.Tests.Support;

namespace Oxbow.Daemon.Tests;

public sealed class CliTests
{
    /// <summary>Runs the real <c>oxbow</c> command; its exit code and its stdout and stderr together.</summary>
    internal static async Task<(int Code, string Output)> Oxbow(params string[] arguments)
    {
        var output = new StringBuilder();
        using var process = DaemonProcess.Start([DaemonProcess.CliDll, .. arguments], output);
        await process.WaitForExitAsync();
        process.WaitForExit();
        return (process.ExitCode, output.ToString());
    }

    [Fact]
    public async Task Send_then_view_shows_the_event_pretty_and_grouped_by_id()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"));
        await collector.StartAsync();
        var control = $"127.0.0.1:{collector.ControlPort}";
        Assert.Equal(0, (await Oxbow("send", "deploy", "version=1.2", "ok=true", "who.name=ann", "--control", control)).Code);
        var id = OxId.NewId();
        using (var response = await collector.Http.PostAsync("v1/events", new StringContent(
            $"{{\"id\":\"{id}\",\"type\":\"request\",\"start\":\"2026-01-01T00:00:00Z\",\"end\":\"2026-01-01T00:00:00.25Z\",\"host\":\"web1\"}}\n" +
            $"{{\"id\":\"{id}\",\"type\":\"request.db\",\"end\":\"2026-01-01T00:00:00.1Z\",\"host\":\"web1\",\"rows\":3}}\n")))
        {
            Assert.True(response.IsSuccessStatusCode);
        }

        await collector.WaitForStatAsync(0, "spool", "pending_events");
        var (code, output) = await Oxbow("view", "--pretty", "--group", collector.DataDirectory);
        Assert.Equal(0, code);
        Assert.Contains("info    deploy ", output);
        Assert.Contains(" version=1.2 ok=true who.name=ann", output);
        Assert.Contains($"2026-01-01 00:00:00.250 info    request {id[^8..]} web1 250ms", output);
        Assert.Contains($"request.db {id[^8..]} web1 0ms rows=3", output);
        var lines = output.Split('\n');
        var request = Array.FindIndex(lines, l => l.Contains(" request " + id[^8..], StringComparison.Ordinal));
        Assert.Contains("request.db", lines[request + 1] + lines[request - 1]);
    }

    [Fact]
    public async Task Errors_are_one_line_and_a_non_zero_exit_code()
    {
        var port = DaemonProcess.FreePort();
        var (code, output) = await Oxbow("ctl", "status", "--control", $"127.0.0.1:{port}");
        Assert.Equal(1, code);
        Assert.StartsWith("oxbow: cannot reach the daemon:", output);
        Assert.Single(output.Trim().Split('\n'));

        (code, output) = await Oxbow("send", "Bad Type", "--control", $"127.0.0.1:{port}");
        Assert.Equal(1, code);
        Assert.Equal("oxbow: 'Bad Type' is not a valid type name (lower-case [a-z0-9_-] segments joined by dots)", output.Trim());

        (code, output) = await Oxbow("view", "/nonexistent/segment.ndjson");
        Assert.Equal(1, code);
        Assert.Equal("oxbow: /nonexistent/segment.ndjson: no such file or directory", output.Trim());

        (code, output) = await Oxbow("serve", "--listen", "nonsense");
        Assert.Equal(1, code);
        Assert.Equal("oxbow: --listen: 'nonsense' is not host:port", output.Trim());
    }

    [Theory]
    [InlineData("--compact-after", "-5", "oxbow: --compact-after: '-5' is not a number of seconds from 0 to 2592000")]
    [InlineData("--seal-after", "NaN", "oxbow: --seal-after: 'NaN' is not a number of seconds from 0.1 to 86400")]
    [InlineData("--spool-max-bytes", "0", "oxbow: --spool-max-bytes: '0' is not a whole number of bytes from 1048576 to 9223372036854775807")]
    [InlineData("--max-event-bytes", "-1", "oxbow: --max-event-bytes: '-1' is not a whole number of bytes from 256 to 8388608")]
    [InlineData("--lookup-index-memory", "1000", "oxbow: --lookup-index-memory: '1000' is not a whole number of bytes from 1048576 to 9223372036854775807")]
    public async Task Numeric_options_out_of_range_are_refused_with_the_range(string option, string value, string message)
    {
        var (code, output) = await Oxbow("serve", option, value);
        Assert.Equal(1, code);
        Assert.Equal(message, output.Trim());
    }

    [Fact]
    public async Task Help_names_the_command_oxbow()
    {
        var (code, output) = await Oxbow("--help");
        Assert.Equal(0, code);
        Assert.Contains("Usage:\n  oxbow [command] [options]", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.DoesNotContain("Oxbow.Cli", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_busy_ingest_port_is_named_as_the_binary_ingest_port_with_the_setting_that_moves_it()
    {
        using var dir = new TempDirectory();
        await using var first = new DaemonProcess(dir.Sub("a"));
        await first.StartAsync();
        var (code, output) = await Oxbow("serve", "--data", dir.Sub("b"), "--listen", first.Ingest, "--control", $"127.0.0.1:{DaemonProcess.FreePort()}");
        Assert.Equal(1, code);
        Assert.Contains($"oxbow: cannot listen on {first.Ingest} (binary ingest): the address is already in use (another oxbow daemon?); choose another with --listen host:port or OXBOW_LISTEN", output, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Error_bodies_are_readable_json_without_unicode_escapes_for_quotes()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"));
        await collector.StartAsync();
        using var response = await collector.Http.PostAsync("v1/events", new StringContent("{\"type\":\"Bad/Type\"}\n"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\\\"Bad/Type\\\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u0022", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ctl_status_shows_each_host_and_its_lag()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"));
        await collector.StartAsync();
        using (var response = await collector.Http.PostAsync("v1/events", new StringContent("{\"type\":\"deploy\",\"host\":\"web7\"}\n")))
        {
            Assert.True(response.IsSuccessStatusCode);
        }

        var (code, output) = await Oxbow("ctl", "status", "--control", $"127.0.0.1:{collector.ControlPort}");
        Assert.Equal(0, code);
        Assert.Matches(@"  type deploy: 1 events, last seen \S+, lag [0-9.]+ s", output);
        Assert.Matches(@"  host web7: 1 events, last seen \S+, lag [0-9.]+ s", output);
    }
}
