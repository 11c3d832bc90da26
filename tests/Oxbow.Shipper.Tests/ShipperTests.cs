using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Oxbow.Shipper;

namespace Oxbow.Shipper.Tests;

/// <summary><c>oxbow ingest</c> as a real process, sending to a real collector; files are written while it follows them.</summary>
public sealed class ShipperTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly List<(Process Process, StringBuilder Output)> _ingests = [];
    private DaemonProcess _collector = null!;

    public async Task InitializeAsync()
    {
        _collector = new DaemonProcess(_dir.Sub("data"), "--seal-after", "3600");
        await _collector.StartAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var (process, _) in _ingests)
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }

        await _collector.DisposeAsync();
        _dir.Dispose();
    }

    private string Logs => _dir.Sub("logs");

    private (Process Process, StringBuilder Output) StartIngest(params string[] arguments) => StartIngest(false, arguments);

    private (Process Process, StringBuilder Output) StartIngest(bool redirectInput, params string[] arguments)
    {
        var output = new StringBuilder();
        var process = DaemonProcess.Start([DaemonProcess.CliDll, "ingest", "--to", _collector.Ingest, "--state", _dir.Sub("ingest.state"), .. arguments], output, redirectInput);
        _ingests.Add((process, output));
        return (process, output);
    }

    /// <summary>Starts a follower and waits until it has opened (or is waiting for) every file.</summary>
    private async Task<Process> FollowAsync(params string[] arguments)
    {
        var (process, output) = StartIngest(arguments);
        var files = arguments.Count(a => a == "-F");
        await Eventually.TrueAsync(() => Count(output, "oxbow ingest: following ") + Count(output, "oxbow ingest: waiting for ") >= files || process.HasExited,
            () => $"ingest did not start:\n{output}");
        Assert.False(process.HasExited, output.ToString());
        return process;
    }

    private static int Count(StringBuilder output, string text)
    {
        lock (output)
        {
            return output.ToString().Split(text).Length - 1;
        }
    }

    private Task<List<JsonElement>> StoredAsync(int count) =>
        StoredEvents.StoredAsync(_collector.DataDirectory, count, () => string.Join('\n', _ingests.Select(i => i.Output.ToString())));

    private static string Message(JsonElement e) => e.GetProperty("body").GetProperty("message").GetString()!;

    /// <summary>
    /// Exactly these messages, each once (compared as sorted lists, so a duplicate or a gap shows), once the follower
    /// of <paramref name="path"/> has acknowledged everything in it and the collector has stored all it accepted.
    /// </summary>
    private async Task AssertStoredExactlyAsync(string path, IEnumerable<string> expected)
    {
        var want = expected.Order(StringComparer.Ordinal).ToList();
        await StoredAsync(want.Count);
        var state = _dir.Sub("ingest.state");
        await Eventually.TrueAsync(() =>
        {
            if (!File.Exists(state) || File.Exists(state + ".pending"))
            {
                return false;
            }

            using var json = JsonDocument.Parse(File.ReadAllBytes(state));
            return json.RootElement.TryGetProperty(path, out var position) && position.GetProperty("Offset").GetInt64() == new FileInfo(path).Length;
        }, () => $"the follower did not reach the end of {path}: {(File.Exists(state) ? File.ReadAllText(state) : "no state")}");
        var appended = await _collector.StatAsync("spool", "appended_events");
        await _collector.WaitForStatAsync(appended, "store", "events");
        Assert.Equal(want, StoredEvents.Lines(_collector.DataDirectory).Select(l => Message(JsonDocument.Parse(l).RootElement)).Order(StringComparer.Ordinal).ToList());
    }

    [Fact]
    public async Task Stdin_lines_become_events_with_JSON_lines_parsed_into_fields_and_the_command_exits_0()
    {
        var (process, output) = StartIngest(redirectInput: true, "deploy");
        await process.StandardInput.WriteAsync("first line\n{\"level\":\"warning\",\"version\":\"1.2\",\"time\":\"2026-01-02T03:04:05.5Z\"}\nlast line without newline");
        process.StandardInput.Close();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, output.ToString());

        var events = await StoredAsync(3);
        Assert.All(events, e => Assert.Equal("deploy", e.GetProperty("type").GetString()));
        Assert.Equal(["first line", "last line without newline"], events.Where(e => e.GetProperty("body").TryGetProperty("message", out _)).Select(Message).Order());
        var json = Assert.Single(events, e => e.GetProperty("body").TryGetProperty("version", out _));
        Assert.Equal("warning", json.GetProperty("level").GetString());
        Assert.Equal("2026-01-02T03:04:05.500000Z", json.GetProperty("end").GetString());
        Assert.Equal("1.2", json.GetProperty("body").GetProperty("version").GetString());
    }

    [Fact]
    public async Task Stdin_with_a_multiline_pattern_keeps_a_stack_trace_in_one_event()
    {
        var (process, _) = StartIngest(redirectInput: true, "app", "--multiline", @"^\d{4}-");
        await process.StandardInput.WriteAsync(
            "2026-11-22 10:00:00 ERROR payment failed\n" +
            "System.InvalidOperationException: card declined\n" +
            "   at Shop.Pay() in Pay.cs:line 12\n" +
            "2026-11-22 10:00:01 INFO retrying\n");
        process.StandardInput.Close();
        await process.WaitForExitAsync();

        var events = await StoredAsync(2);
        Assert.Equal(
            ["2026-11-22 10:00:00 ERROR payment failed\nSystem.InvalidOperationException: card declined\n   at Shop.Pay() in Pay.cs:line 12", "2026-11-22 10:00:01 INFO retrying"],
            events.Select(Message).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_followed_file_sends_only_lines_written_after_start_and_takes_its_type_from_the_file_name()
    {
        Directory.CreateDirectory(Logs);
        var path = Path.Combine(Logs, "Payments-API.log");
        await File.WriteAllTextAsync(path, "old 1\nold 2\n");
        await FollowAsync("-F", path);
        await File.AppendAllTextAsync(path, "new 1\nnew 2\n");

        var events = await StoredAsync(2);
        Assert.Equal(["new 1", "new 2"], events.Select(Message).Order());
        Assert.All(events, e => Assert.Equal("payments-api", e.GetProperty("type").GetString()));
        Assert.All(events, e => Assert.Equal(path, e.GetProperty("body").GetProperty("source").GetString()));
    }

    [Fact]
    public async Task Rename_rotation_while_lines_are_written_loses_and_repeats_nothing()
    {
        Directory.CreateDirectory(Logs);
        var path = Path.Combine(Logs, "app.log");
        await File.WriteAllTextAsync(path, "");
        await FollowAsync("-F", $"app:{path}");

        const int Lines = 3000;
        var writer = new StreamWriter(path, append: true) { AutoFlush = true };
        for (var i = 0; i < Lines; i++)
        {
            await writer.WriteLineAsync($"line {i:00000}");
            if (i % 500 == 449)
            {
                // One rotation per poll at most, as with any real rotation schedule: wait until the follower has
                // seen most of this file. The next 50 lines are written at once, so they are still unread when the
                // file is renamed away.
                await StoredAsync(i - 200);
            }

            if (i % 500 == 499)
            {
                // logrotate's default: rename the file away, then the application opens a new one at the path.
                await writer.DisposeAsync();
                File.Move(path, $"{path}.{i / 500}");
                writer = new StreamWriter(path, append: true) { AutoFlush = true };
            }
        }

        await writer.DisposeAsync();
        await AssertStoredExactlyAsync(path, Enumerable.Range(0, Lines).Select(i => $"line {i:00000}"));
    }

    [Fact]
    public async Task Copytruncate_rotation_while_lines_are_written_loses_and_repeats_nothing()
    {
        Directory.CreateDirectory(Logs);
        var path = Path.Combine(Logs, "app.log");
        await File.WriteAllTextAsync(path, "");
        await FollowAsync("-F", $"app:{path}");

        const int Lines = 3000;
        // The application keeps one handle in append mode, as programs under copytruncate do.
        await using (var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
        {
            for (var i = 0; i < Lines; i++)
            {
                file.Write(Encoding.UTF8.GetBytes($"line {i:00000}\n"));
                file.Flush();
                if (i % 500 == 449)
                {
                    await StoredAsync(i - 200); // one rotation per poll at most; then 50 lines it has not read (see the rename test)
                }

                if (i % 500 == 499)
                {
                    // logrotate's copytruncate: copy the file, then cut it to zero; writes continue at the new end.
                    File.Copy(path, $"{path}.{i / 500}");
                    file.SetLength(0);
                }
            }
        }

        await AssertStoredExactlyAsync(path, Enumerable.Range(0, Lines).Select(i => $"line {i:00000}"));
        // Lines written after the follower's last read and before a truncation were read from the copy.
        var recovered = System.Text.RegularExpressions.Regex.Matches(_ingests[0].Output.ToString(), @"was truncated; (\d+) lines written before that")
            .Sum(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(recovered > 0, _ingests[0].Output.ToString());
    }

    [Fact]
    public async Task After_SIGKILL_a_follower_resumes_from_its_checkpoint_and_every_line_is_stored_once()
    {
        Directory.CreateDirectory(Logs);
        var path = Path.Combine(Logs, "app.log");
        await File.WriteAllTextAsync(path, "");
        var written = 0;
        for (var round = 0; round < 4; round++)
        {
            var follower = await FollowAsync("-F", $"app:{path}");
            // Write while it runs, kill it mid-stream (a batch may be in flight), write more while it is down.
            for (var i = 0; i < 400; i++, written++)
            {
                await File.AppendAllTextAsync(path, $"line {written:00000}\n");
            }

            follower.Kill();
            await follower.WaitForExitAsync();
            for (var i = 0; i < 100; i++, written++)
            {
                await File.AppendAllTextAsync(path, $"line {written:00000}\n");
            }
        }

        await FollowAsync("-F", $"app:{path}");
        await AssertStoredExactlyAsync(path, Enumerable.Range(0, written).Select(i => $"line {i:00000}"));
    }

    [Fact]
    public async Task A_file_rotated_while_the_follower_was_down_is_read_to_its_end_before_the_new_one()
    {
        Directory.CreateDirectory(Logs);
        var path = Path.Combine(Logs, "app.log");
        await File.WriteAllTextAsync(path, "");
        var follower = await FollowAsync("-F", $"app:{path}");
        await File.AppendAllTextAsync(path, "before\n");
        await StoredAsync(1);
        await Eventually.TrueAsync(() => File.Exists(_dir.Sub("ingest.state")) && File.ReadAllText(_dir.Sub("ingest.state")).Contains("\"Offset\": 7", StringComparison.Ordinal),
            () => "no checkpoint");
        follower.Kill();
        await follower.WaitForExitAsync();

        await File.AppendAllTextAsync(path, "while down, old file\n");
        File.Move(path, path + ".1");
        await File.WriteAllTextAsync(path, "while down, new file\n");
        await FollowAsync("-F", $"app:{path}");

        await AssertStoredExactlyAsync(path, ["before", "while down, old file", "while down, new file"]);
    }

    [Fact]
    public async Task Follow_spec_types_are_checked_and_derived_from_file_names()
    {
        Assert.Equal(new FollowSpec("nginx.access", "/var/log/a.log"), FollowSpec.Parse("nginx.access:/var/log/a.log"));
        Assert.Equal("payments-api_2024", FollowSpec.TypeFromFileName("/var/log/Payments-API.2024.log"));
        Assert.Equal("file", FollowSpec.TypeFromFileName("/var/log/___.log"));
        Assert.Throws<FormatException>(() => FollowSpec.Parse("Bad Type:/x.log"));

        var (process, output) = StartIngest("-F", "Bad Type:/x.log");
        await process.WaitForExitAsync();
        Assert.Equal(1, process.ExitCode);
        Assert.Contains("oxbow: 'Bad Type' is not a valid type name", output.ToString(), StringComparison.Ordinal);
    }
}
