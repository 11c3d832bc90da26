using BenchmarkDotNet.Attributes;
using NLog.Targets.Wrappers;

namespace Oxbow.Benchmarks;

/// <summary>
/// End to end into a file from one producer: a million events, then a flush, with nothing allowed to be lost
/// (blocking full-queue modes). Each iteration checks the file holds exactly the events written.
/// </summary>
[MedianColumn]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 7, invocationCount: 1)]
public class ThroughputBenchmarks
{
    private const int Events = 1_000_000;
    private string _directory = "";
    private OxLogger _oxbow = null!;
    private Serilog.Core.Logger? _serilog;
    private NLog.Logger? _nlog;

    [IterationSetup(Target = nameof(Oxbow))]
    public void SetupOxbow()
    {
        _directory = Peers.NewDirectory("throughput-oxbow");
        Peers.ConfigureOxbow(_directory, QueueFullMode.Wait);
        _oxbow = Ox.GetLogger("bench");
    }

    [IterationSetup(Target = nameof(Serilog))]
    public void SetupSerilog()
    {
        _directory = Peers.NewDirectory("throughput-serilog");
        _serilog = Peers.Serilog(_directory);
    }

    [IterationSetup(Target = nameof(NLog))]
    public void SetupNLog()
    {
        _directory = Peers.NewDirectory("throughput-nlog");
        _nlog = Peers.NLog(_directory, AsyncTargetWrapperOverflowAction.Block);
    }

    [IterationCleanup]
    public void Verify()
    {
        Ox.Shutdown();
        _serilog?.Dispose();
        _serilog = null;
        global::NLog.LogManager.Shutdown();
        var lines = Peers.CountLines(_directory);
        Directory.Delete(_directory, recursive: true);
        if (lines != Events)
        {
            throw new InvalidOperationException($"expected {Events} lines on disk, found {lines}");
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events, Description = "Oxbow (wait mode)")]
    public void Oxbow()
    {
        for (var i = 0; i < Events; i++)
        {
            _oxbow.Info("request_done", "name", "bob", "count", i, "ratio", 0.25, "ok", true, "request_id", "5f2b6c1e-req");
        }

        Ox.Flush(TimeSpan.FromMinutes(1));
    }

    [Benchmark(OperationsPerInvoke = Events, Description = "Serilog 3.1.1 (File, buffered)")]
    public void Serilog()
    {
        for (var i = 0; i < Events; i++)
        {
            _serilog!.Information(Peers.Template, "bob", i, 0.25, true, "5f2b6c1e-req");
        }

        _serilog!.Dispose();
    }

    [Benchmark(OperationsPerInvoke = Events, Description = "NLog 6.2 (async File, block)")]
    public void NLog()
    {
        for (var i = 0; i < Events; i++)
        {
            _nlog!.Info(Peers.Template, "bob", i, 0.25, true, "5f2b6c1e-req");
        }

        global::NLog.LogManager.Flush(TimeSpan.FromMinutes(1));
    }
}
