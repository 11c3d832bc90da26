using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Console;
using NLog.Targets.Wrappers;

namespace Oxbow.Benchmarks;

/// <summary>
/// What one logging call costs the thread that makes it, in steady state, for the same event in every library,
/// with every library in its lossless mode (Oxbow Wait, NLog Block, MEL Wait; Serilog's file sink is synchronous).
/// A benchmark loop logs faster than any disk absorbs, so in a dropping mode each library would mostly measure how
/// cheaply it drops; lossless, the figure is the sustained per-event cost, background writers included.
/// Oxbow's pure calling-thread cost, without file I/O competing for the cores, is <see cref="OxbowOverheadBenchmarks"/>.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 15)]
public class CallerCostBenchmarks
{
    private const string Name = "bob";
    private const string RequestId = "5f2b6c1e-req";
    private int _count;
    private string _directory = "";
    private OxLogger _oxbow = null!;
    private Serilog.Core.Logger _serilog = null!;
    private NLog.Logger _nlog = null!;
    private (Microsoft.Extensions.Logging.ILoggerFactory Factory, Microsoft.Extensions.Logging.ILogger Logger, TextWriter Output) _mel;
    private TextWriter _console = Console.Out;

    [GlobalSetup]
    public void Setup()
    {
        _console = Console.Out;
        _directory = Peers.NewDirectory("caller");
        Peers.ConfigureOxbow(_directory, QueueFullMode.Wait);
        _oxbow = Ox.GetLogger("bench");
        _serilog = Peers.Serilog(_directory);
        _nlog = Peers.NLog(_directory, AsyncTargetWrapperOverflowAction.Block);
        _mel = Peers.Mel(_directory, ConsoleLoggerQueueFullMode.Wait);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        var stats = Ox.Stats;
        Ox.Shutdown();
        _serilog.Dispose();
        global::NLog.LogManager.Shutdown();
        _mel.Factory.Dispose();
        _mel.Output.Flush();
        Console.SetOut(_console);
        Console.WriteLine($"// oxbow stats: {stats}");
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "Oxbow (File, wait)")]
    public void Oxbow() => _oxbow.Info("request_done", "name", Name, "count", ++_count, "ratio", 0.25, "ok", true, "request_id", RequestId);

    [Benchmark(Description = "Serilog 3.1.1 (File, buffered)")]
    public void Serilog() => _serilog.Information(Peers.Template, Name, ++_count, 0.25, true, RequestId);

    [Benchmark(Description = "NLog 6.2 (async File, JsonLayout, block)")]
    public void NLog() => _nlog.Info(Peers.Template, Name, ++_count, 0.25, true, RequestId);

    [Benchmark(Description = "MEL (JSON console, LoggerMessage, wait)")]
    public void Mel() => Peers.MelRequestDone(_mel.Logger, Name, ++_count, 0.25, true, RequestId, null);

    [Benchmark(Description = "Oxbow filtered out")]
    public void OxbowFiltered() => _oxbow.Debug("request_done", "name", Name, "count", _count, "ratio", 0.25, "ok", true, "request_id", RequestId);

    [Benchmark(Description = "Serilog filtered out")]
    public void SerilogFiltered() => _serilog.Debug(Peers.Template, Name, _count, 0.25, true, RequestId);

    [Benchmark(Description = "NLog filtered out")]
    public void NLogFiltered() => _nlog.Debug(Peers.Template, Name, _count, 0.25, true, RequestId);

    [Benchmark(Description = "MEL filtered out")]
    public void MelFiltered() => Peers.MelRequestDoneDebug(_mel.Logger, Name, _count, 0.25, true, RequestId, null);

    [Benchmark(Description = "Oxbow context: 5 Sets + timer")]
    public void OxbowContext()
    {
        using (Ox.Context("request"))
        {
            Ox.Set("name", Name);
            Ox.Set("count", ++_count);
            Ox.Set("ratio", 0.25);
            Ox.Set("ok", true);
            Ox.Set("request_id", RequestId);
            using (Ox.Time("elapsed"))
            {
            }
        }
    }
}
