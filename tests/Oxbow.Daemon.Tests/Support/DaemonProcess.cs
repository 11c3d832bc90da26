using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Oxbow.Daemon.Tests.Support;

/// <summary>A real <c>oxbow serve</c> process on free loopback ports, with its output kept for failure messages.</summary>
internal sealed class DaemonProcess : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private Process? _process;

    public DaemonProcess(string dataDirectory, params string[] extraArguments)
    {
        DataDirectory = dataDirectory;
        IngestPort = FreePort();
        ControlPort = FreePort();
        ExtraArguments = extraArguments;
        Http = CreateHttp();
    }

    /// <summary>
    /// A client for the control port: with <c>--tls-cert</c> the daemon serves HTTPS there, and the client pins that
    /// certificate, as <c>oxbow --control-cert</c> does.
    /// </summary>
    private HttpClient CreateHttp()
    {
        var at = Array.IndexOf(ExtraArguments, "--tls-cert");
        if (at < 0)
        {
            return new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ControlPort}/"), Timeout = TimeSpan.FromMinutes(10) };
        }

        var trusted = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(ExtraArguments[at + 1]);
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented is not null && presented.RawData.AsSpan().SequenceEqual(trusted.RawData) };
        return new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{ControlPort}/"), Timeout = TimeSpan.FromMinutes(10) };
    }

    public string DataDirectory { get; }

    public int IngestPort { get; }

    public int ControlPort { get; }

    public string[] ExtraArguments { get; set; }

    public string Ingest => $"127.0.0.1:{IngestPort}";

    public HttpClient Http { get; }

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

    public int Pid => _process!.Id;

    /// <summary>File descriptors the daemon holds now (Linux).</summary>
    public int OpenDescriptors => Directory.GetFiles($"/proc/{Pid}/fd").Length;

    /// <summary>Runs SQL through <c>POST /v1/query</c> (CSV), with the admin token when a token file is in force.</summary>
    public async Task<(HttpStatusCode Status, string Body)> QueryAsync(string sql, string format = "csv", int? timeoutSeconds = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/query")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { sql, format, timeout_seconds = timeoutSeconds }), Encoding.UTF8, "application/json"),
        };
        if (AdminToken() is { } token)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Waits until <paramref name="sql"/> answers (CSV) with exactly <paramref name="rows"/> rows, and returns the answer.</summary>
    public async Task<string> WaitForRowsAsync(string sql, int rows)
    {
        var body = "";
        await Eventually.TrueAsync(async () =>
        {
            HttpStatusCode status;
            (status, body) = await QueryAsync(sql);
            return status == HttpStatusCode.OK && body.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length == rows + 1;
        }, () => body + "\n" + Output, 120);
        return body;
    }

    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    public static string CliDll
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Oxbow.slnx")))
            {
                dir = dir.Parent;
            }

            return Path.Combine(dir!.FullName, "src", "Oxbow.Cli", "bin", configuration, "net10.0", "Oxbow.Cli.dll");
        }
    }

    /// <summary>A loopback port reserved for this test process; see <see cref="LoopbackPorts"/>.</summary>
    public static int FreePort() => LoopbackPorts.Reserve();

    /// <summary>Starts the daemon and waits until <c>/healthz</c> answers.</summary>
    public async Task StartAsync()
    {
        var arguments = new List<string> { CliDll, "serve", "--data", DataDirectory, "--listen", Ingest, "--control", $"127.0.0.1:{ControlPort}" };
        arguments.AddRange(ExtraArguments);
        _process = Start(arguments, _output, launcher: Launcher, environment: Environment);
        var deadline = DateTime.UtcNow.AddSeconds(120); // generous: a loaded CI machine, a store to recover
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                // Exited is seen before the last output lines are delivered; this overload waits for them.
                _process.WaitForExit();
                throw new InvalidOperationException($"oxbow serve exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await Http.GetAsync("healthz");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"oxbow serve did not become healthy:\n{Output}");
    }

    /// <summary>SIGKILL: no chance to flush or clean up.</summary>
    public void Kill()
    {
        _process?.Kill();
        _process?.WaitForExit();
    }

    /// <summary>SIGTERM, then waits for the exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        // Generous: a stop finishes the seal under way and a checkpoint, which a loaded machine can make slow.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    /// <summary>
    /// Stats need the admin token when a token file is in force: the first admin line of the file given with
    /// <c>--token-file</c>, read at each call (tests write the file before starting the daemon).
    /// </summary>
    private string? AdminToken()
    {
        var at = Array.IndexOf(ExtraArguments, "--token-file");
        return at < 0 || at + 1 >= ExtraArguments.Length ? null : File.ReadLines(ExtraArguments[at + 1])
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .FirstOrDefault(p => p is ["admin", _])?[1];
    }

    public async Task<JsonElement> StatsAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/stats");
        if (AdminToken() is { } token)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await Http.SendAsync(request);
        var json = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"GET /v1/stats answered {(int)response.StatusCode}: {json}\n{Output}");
        }

        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    public async Task<long> StatAsync(params string[] path)
    {
        var element = await StatsAsync();
        foreach (var part in path)
        {
            if (!element.TryGetProperty(part, out element))
            {
                return 0;
            }
        }

        return element.GetInt64();
    }

    /// <summary>
    /// Waits until the daemon has printed <paramref name="text"/>: its own log lines reach the console through a
    /// background writer, so they may follow the response that caused them.
    /// </summary>
    public Task WaitForOutputAsync(string text) =>
        Eventually.TrueAsync(() => Output.Contains(text, StringComparison.Ordinal), () => $"never printed '{text}':\n{Output}");

    /// <summary>Waits until a numeric stat reaches a value.</summary>
    public async Task WaitForStatAsync(long expected, params string[] path)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        long last = -1;
        while (DateTime.UtcNow < deadline)
        {
            last = await StatAsync(path);
            if (last == expected)
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{string.Join('.', path)} stayed at {last}, expected {expected}:\n{Output}");
    }

    /// <summary>A command the daemon is started through (such as <c>setpriv …</c> to drop a capability); default none.</summary>
    public string[] Launcher { get; init; } = [];

    /// <summary>Variables set in the daemon's environment (such as systemd's <c>NOTIFY_SOCKET</c>); default none.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public static Process Start(IEnumerable<string> arguments, StringBuilder output, bool redirectInput = false, string[]? launcher = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        launcher ??= [];
        var info = new ProcessStartInfo(launcher.Length > 0 ? launcher[0] : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = redirectInput, UseShellExecute = false };
        if (launcher.Length > 0)
        {
            foreach (var part in launcher.Skip(1))
            {
                info.ArgumentList.Add(part);
            }

            info.ArgumentList.Add("dotnet");
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        Http.Dispose();
    }
}
