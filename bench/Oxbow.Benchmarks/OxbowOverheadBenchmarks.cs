using BenchmarkDotNet.Attributes;
using Oxbow.Sinks;

namespace Oxbow.Benchmarks;

/// <summary>
/// Oxbow's own cost per call with a sink that discards batches, so no file I/O competes with the calling thread for
/// the machine's two cores and its memory bandwidth: the encoding and hand-off cost alone.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 15)]
public class OxbowOverheadBenchmarks
{
    private OxLogger _log = null!;
    private int _count;

    private sealed class DiscardSink : IEventSink
    {
        public void Emit(in EventBatch batch)
        {
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        Ox.Configure(o =>
        {
            o.Sinks.Clear();
            o.App = "bench";
            o.QueueFullMode = QueueFullMode.Wait;
            o.WriteTo(new DiscardSink());
        });
        _log = Ox.GetLogger("bench");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// oxbow stats: {Ox.Stats}");
        Ox.Shutdown();
    }

    [Benchmark(Description = "log call, 5 fields (discarding sink)")]
    public void FiveFields() => _log.Info("request_done", "name", "bob", "count", ++_count, "ratio", 0.25, "ok", true, "request_id", "5f2b6c1e-req");

    [Benchmark(Description = "log call, no fields (discarding sink)")]
    public void NoFields() => _log.Info("request_done");

    [Benchmark(Description = "context: 5 Sets + timer (discarding sink)")]
    public void Context()
    {
        using (Ox.Context("request"))
        {
            Ox.Set("name", "bob");
            Ox.Set("count", ++_count);
            Ox.Set("ratio", 0.25);
            Ox.Set("ok", true);
            Ox.Set("request_id", "5f2b6c1e-req");
            using (Ox.Time("elapsed"))
            {
            }
        }
    }
}
