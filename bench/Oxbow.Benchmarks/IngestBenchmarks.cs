using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Oxbow.Transport;

namespace Oxbow.Benchmarks;

/// <summary>
/// Acknowledged, durable ingest from 4 senders on loopback into a collector's store, beside rsyslog receiving TCP
/// syslog into a file (plain, and with mmjsonparse), with the same ~300-byte events and the same count. A collector
/// acknowledges a batch once it is in its partition files under DATA/type=…/ and fsynced, so Oxbow's figure is until
/// every event is stored and durable (checked against the store's count each iteration); rsyslog does not fsync.
/// rsyslog (Debian 8.2302) is started here on 127.0.0.1 with a private config; when rsyslogd is missing its cases
/// are skipped with a message.
/// </summary>
/// <remarks>
/// Before Oxbow's iterations, its setup sends the collector at least 25 rounds (5M events) unmeasured, and more until
/// the JIT has settled (three rounds in a row with under 25 ms of compiling each, read from <c>/v1/stats</c>; at most
/// 60 rounds): a fresh daemon's JIT goes on promoting methods to optimized code for about 30 rounds, and a collector
/// runs for days, so its steady state is what is measured. rsyslog (C, no JIT) gets only BenchmarkDotNet's warm-up, so
/// its output file stays small. The collector's CPU for the first round is printed for anyone who wants the cold
/// figure.
/// </remarks>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: MeasuredIterations, invocationCount: 1)]
public class IngestBenchmarks
{
    private const int MeasuredIterations = 9;
    private const int Senders = 4;
    private const int EventsPerSender = 50_000;
    private const int BatchEvents = 1000;
    private readonly List<Process> _processes = [];
    private Process? _collector;
    private string _directory = "";
    private byte[][] _batches = [];
    private byte[] _syslog = [];
    private int _oxbowIngest;
    private HttpClient _control = new();
    private long _stored;
    private int _rsyslogPlain;
    private int _rsyslogJson;

    /// <summary>The oxbow CLI started as the collector and the agent; default this repository's Release build.</summary>
    internal string Cli { get; init; } = CliDll();

    /// <summary>Whether setup starts the two rsyslog peers (a second collector in one run needs them once).</summary>
    internal bool WithRsyslog { get; init; } = true;

    private const int MinWarmUpRounds = 25;
    private const int MaxWarmUpRounds = 60;

    /// <summary>Setup, then the collector's JIT warm-up (see the remarks).</summary>
    [GlobalSetup(Target = nameof(Oxbow))]
    public void SetupOxbow()
    {
        Setup();
        // Warm until the JIT has settled: three rounds in a row that each cost it under 25 ms of compiling.
        var (methods, jitMs) = Jit();
        var (startMethods, startMs) = (methods, jitMs);
        var quiet = 0;
        var round = 0;
        while (round < MaxWarmUpRounds && (round < MinWarmUpRounds || quiet < 3))
        {
            Oxbow().GetAwaiter().GetResult();
            var (m, ms) = Jit();
            quiet = ms - jitMs < 25 ? quiet + 1 : 0;
            (methods, jitMs) = (m, ms);
            round++;
        }

        Console.WriteLine($"// collector warm-up: {round} rounds ({round * Senders * EventsPerSender:N0} events); the JIT compiled {methods - startMethods:N0} methods in {jitMs - startMs:N0} ms meanwhile");
    }

    private (long Methods, long Milliseconds) Jit()
    {
        using var stats = JsonDocument.Parse(_control.GetStringAsync("v1/stats").Result);
        var process = stats.RootElement.GetProperty("process");
        return (process.GetProperty("jit_methods").GetInt64(), process.GetProperty("jit_milliseconds").GetInt64());
    }

    [GlobalSetup(Targets = [nameof(RsyslogPlain), nameof(RsyslogJson)])]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "oxbow-ingest-bench-" + Guid.NewGuid().ToString("n")[..8]);
        Directory.CreateDirectory(_directory);
        _batches = [.. Enumerable.Range(0, EventsPerSender / BatchEvents).Select(_ => Events(BatchEvents))];
        var syslog = new StringBuilder();
        foreach (var line in Encoding.UTF8.GetString(Events(EventsPerSender)).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            syslog.Append("<134>1 2026-11-22T05:00:00.000000Z bench-host bench 1 - - @cee:").Append(line).Append('\n');
        }

        _syslog = Encoding.UTF8.GetBytes(syslog.ToString());
        _oxbowIngest = Harness.FreePort();
        (_control, _collector) = StartDaemon("oxbow", _oxbowIngest);
        if (!WithRsyslog)
        {
            return;
        }

        if (File.Exists("/usr/sbin/rsyslogd"))
        {
            _rsyslogPlain = StartRsyslog("plain", parse: false);
            _rsyslogJson = StartRsyslog("json", parse: true);
        }
        else
        {
            Console.WriteLine("// rsyslogd not found: install Debian's rsyslog to measure the peer");
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    /// <summary>After Oxbow's iterations only: the collector's memory, then an agent's with its upstream down.</summary>
    [GlobalCleanup(Target = nameof(Oxbow))]
    public void CleanupAfterOxbow()
    {
        Console.WriteLine($"// collector working set after the run: {WorkingSetMiB(_control)} MiB");
        // CPU time of the collector process per iteration (all its threads, sealing included), over the measured ones.
        var measured = _collectorCpuMs.TakeLast(MeasuredIterations).ToList();
        Console.WriteLine($"// collector CPU per iteration of {Senders * EventsPerSender:N0} events: median {Median(measured):0} ms " +
            $"(min {measured.Min():0}, max {measured.Max():0}); first (cold) round {_collectorCpuMs[0]:0} ms");
        ReportAgentMemoryWithUpstreamDown();
        Cleanup();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var process in _processes)
        {
            process.Kill();
            process.WaitForExit();
        }

        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>
    /// An agent whose upstream is down takes 2M events (about 630 MiB) into its spool; its working set is printed
    /// after every 200k, to show that memory levels off while the disk takes the backlog.
    /// </summary>
    internal void ReportAgentMemoryWithUpstreamDown()
    {
        var ingest = Harness.FreePort();
        var (http, _) = StartDaemon("agent", ingest, "--forward", $"127.0.0.1:{Harness.FreePort()}");
        using var agentControl = http;
        List<long> workingSets = [WorkingSetMiB(http)];
        for (var round = 0; round < 10; round++)
        {
            var sender = new BatchSender(new BatchSenderOptions { Endpoints = [$"127.0.0.1:{ingest}"] });
            var tasks = Enumerable.Range(0, 4).SelectMany(_ => _batches.Select(batch => sender.SendAsync(new OutgoingBatch(BatchId.New(), BatchEvents, batch)))).ToList();
            if (Task.WhenAll(tasks).Result.Any(o => !o.Acknowledged))
            {
                throw new InvalidOperationException("the agent did not acknowledge a batch");
            }

            sender.DisposeAsync().AsTask().Wait();
            workingSets.Add(WorkingSetMiB(http));
        }

        using var final = JsonDocument.Parse(http.GetStringAsync("v1/stats").Result);
        var spool = final.RootElement.GetProperty("spool");
        Console.WriteLine($"// agent with its upstream down: working set in MiB at start and after each 200k events: {string.Join(", ", workingSets)}; " +
            $"{spool.GetProperty("pending_events").GetInt64()} events ({spool.GetProperty("bytes").GetInt64() / (1024 * 1024)} MiB) waiting in its spool");
    }

    /// <summary>Starts <c>oxbow serve</c> on its own data directory and control port; returns a client for that port once healthy, and the process.</summary>
    private (HttpClient Control, Process Process) StartDaemon(string name, int ingest, params string[] extra)
    {
        var control = Harness.FreePort();
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{control}/") };
        var process = Start("dotnet", [Cli, "serve", "--data", Path.Combine(_directory, name), "--listen", $"127.0.0.1:{ingest}", "--control", $"127.0.0.1:{control}", .. extra]);
        Wait(() => { try { return http.GetAsync("healthz").Result.IsSuccessStatusCode; } catch (AggregateException) { return false; } });
        return (http, process);
    }

    private static long WorkingSetMiB(HttpClient control)
    {
        using var stats = JsonDocument.Parse(control.GetStringAsync("v1/stats").Result);
        return stats.RootElement.GetProperty("process").GetProperty("working_set_bytes").GetInt64() / (1024 * 1024);
    }

    private readonly List<double> _collectorCpuMs = [];

    [Benchmark(Baseline = true, Description = "Oxbow: 4 senders, ack after fsync, into the store")]
    public async Task Oxbow()
    {
        var collector = _collector!;
        collector.Refresh();
        var cpuBefore = collector.TotalProcessorTime;
        var senders = Enumerable.Range(0, Senders).Select(_ => new BatchSender(new BatchSenderOptions { Endpoints = [$"127.0.0.1:{_oxbowIngest}"] })).ToList();
        var tasks = senders.SelectMany(sender => _batches.Select(batch => sender.SendAsync(new OutgoingBatch(BatchId.New(), BatchEvents, batch)))).ToList();
        var outcomes = await Task.WhenAll(tasks);
        if (outcomes.Any(o => !o.Acknowledged))
        {
            throw new InvalidOperationException("a batch was not acknowledged");
        }

        // Acknowledged means in the partition files and fsynced: the store has counted every event already.
        _stored += Senders * EventsPerSender;
        var (written, pending) = StoreProgress();
        if (written != _stored || pending != 0)
        {
            throw new InvalidOperationException($"{_stored} events acknowledged, but the store has {written} ({pending} pending)");
        }

        foreach (var sender in senders)
        {
            await sender.DisposeAsync();
        }

        collector.Refresh();
        _collectorCpuMs.Add((collector.TotalProcessorTime - cpuBefore).TotalMilliseconds);
    }

    [Benchmark(Description = "rsyslog: 4 TCP senders into a file")]
    public Task RsyslogPlain() => SyslogAsync(_rsyslogPlain, "plain");

    [Benchmark(Description = "rsyslog: 4 TCP senders, mmjsonparse, into a file")]
    public Task RsyslogJson() => SyslogAsync(_rsyslogJson, "json");

    private long _plainLines;
    private long _jsonLines;

    private async Task SyslogAsync(int port, string name)
    {
        if (port == 0)
        {
            return;
        }

        await Task.WhenAll(Enumerable.Range(0, Senders).Select(async _ =>
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            await client.GetStream().WriteAsync(_syslog);
        }));
        var expected = name == "plain" ? _plainLines += Senders * EventsPerSender : _jsonLines += Senders * EventsPerSender;
        var file = Path.Combine(_directory, name, "out.log");
        while (CountLines(file) < expected)
        {
            await Task.Delay(5);
        }
    }

    private readonly Dictionary<string, (long Offset, long Lines)> _counted = [];

    /// <summary>
    /// Lines in the file so far, reading only what was appended since the last call: re-reading the whole file on
    /// every poll would steal CPU from rsyslog on this 2-core machine and make it look slower than it is.
    /// </summary>
    private long CountLines(string path)
    {
        if (!File.Exists(path))
        {
            return 0;
        }

        var (offset, lines) = _counted.GetValueOrDefault(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Position = offset;
        var buffer = new byte[1 << 20];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            lines += buffer.AsSpan(0, read).Count((byte)'\n');
            offset += read;
        }

        _counted[path] = (offset, lines);
        return lines;
    }

    /// <summary>Events stored (in partition files, fsynced), and events in the spool not yet stored (0 on a collector).</summary>
    private (long Written, long Pending) StoreProgress()
    {
        using var document = JsonDocument.Parse(_control.GetStringAsync("v1/stats").Result);
        var root = document.RootElement;
        return (root.GetProperty("store").GetProperty("events").GetInt64(), root.GetProperty("spool").GetProperty("pending_events").GetInt64());
    }

    private int StartRsyslog(string name, bool parse)
    {
        var directory = Path.Combine(_directory, name);
        Directory.CreateDirectory(directory);
        var port = Harness.FreePort();
        var output = Path.Combine(directory, "out.log");
        var actions = parse
            ? $"action(type=\"mmjsonparse\")\n  action(type=\"omfile\" file=\"{output}\" template=\"json\")"
            : $"action(type=\"omfile\" file=\"{output}\" template=\"raw\")";
        var config = $"""
            global(workDirectory="{directory}")
            module(load="imtcp")
            module(load="mmjsonparse")
            template(name="raw" type="string" string="%msg%\n")
            template(name="json" type="string" string="%$!all-json%\n")
            ruleset(name="bench") {"{"}
              {actions}
            {"}"}
            input(type="imtcp" address="127.0.0.1" port="{port}" ruleset="bench")
            """;
        var path = Path.Combine(directory, "rsyslog.conf");
        File.WriteAllText(path, config);
        Start("/usr/sbin/rsyslogd", "-n", "-f", path, "-i", Path.Combine(directory, "rsyslog.pid"));
        Wait(() =>
        {
            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        });
        return port;
    }

    /// <summary>
    /// Starts a server measured here (the collector, an agent, rsyslog) at the default CPU priority. BenchmarkDotNet
    /// raises its own process's priority (nice -11 on Linux as root) and children inherit it; a server at -11 would
    /// starve the kernel's journal and writeback threads (nice 0), which every fsync waits for, and it is not how
    /// either server runs in production. Both peers are started the same way.
    /// </summary>
    private Process Start(string file, params string[] arguments)
    {
        var nice = CurrentThreadNice();
        var info = new ProcessStartInfo(nice < 0 ? "nice" : file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (nice < 0)
        {
            // `nice -n N` adds N: back to 0.
            info.ArgumentList.Add("-n");
            info.ArgumentList.Add((-nice).ToString(System.Globalization.CultureInfo.InvariantCulture));
            info.ArgumentList.Add(file);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = Harness.StartQuiet(info);
        _processes.Add(process);
        return process;
    }

    /// <summary>The calling thread's nice value (a forked child starts with it), from /proc; 0 where there is no /proc.</summary>
    private static int CurrentThreadNice()
    {
        const string path = "/proc/thread-self/stat";
        if (!File.Exists(path))
        {
            return 0;
        }

        // After the command name in parentheses: state is field 3 and nice field 19, so index 16 from the state.
        var fields = File.ReadAllText(path).Split(')')[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return int.Parse(fields[16], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Wait(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("a peer did not start");
            }

            Thread.Sleep(50);
        }
    }

    private static byte[] Events(int count)
    {
        var text = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            var now = Timestamps.Format(DateTime.UtcNow);
            text.Append("{\"id\":\"").Append(OxId.NewId()).Append("\",\"type\":\"request\",\"start\":\"").Append(now).Append("\",\"end\":\"").Append(now)
                .Append("\",\"level\":\"info\",\"host\":\"bench-host\",\"pid\":1,\"app\":\"bench\",\"body\":{\"method\":\"GET\",\"path\":\"/api/orders/")
                .Append(i).Append("\",\"status\":200,\"request_time\":0.0123,\"user\":\"u-1234\",\"ua\":\"Mozilla/5.0 (X11; Linux x86_64)\"}}\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }


    /// <summary>The built oxbow CLI (Release), which the harnesses start as the collector.</summary>
    internal static string CliDll()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Oxbow.slnx")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir!.FullName, "src", "Oxbow.Cli", "bin", "Release", "net10.0", "Oxbow.Cli.dll");
    }
}
