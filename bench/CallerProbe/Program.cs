using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Oxbow;
using Oxbow.Extensions.Logging;
using Oxbow.Sinks;

// One process of bench/caller-ab: what a call costs the calling thread, measured in rounds of CALLS calls after a
// warm-up, printed as one line of "name=median-ns" pairs. Only API that existed before issue 19 is used, so the same
// file builds against the commit before it and after it. A sink that discards batches keeps file I/O out of the figure.
var calls = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 2_000_000;
const int Rounds = 9;
Ox.Configure(o =>
{
    o.Sinks.Clear();
    o.App = "probe";
    o.MinimumLevel = OxLevel.Info;
    o.QueueFullMode = QueueFullMode.Wait;
    o.WriteTo(new DiscardSink());
});
var log = Ox.GetLogger("bench");
using var factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new OxbowLoggerProvider()));
var mel = factory.CreateLogger("Shop.Orders");
var count = 0;

var contenders = new (string Name, Action<int> Run)[]
{
    ("ox_filtered", n => { for (var i = 0; i < n; i++) { log.Debug("request_done", "name", "bob", "count", i, "ratio", 0.25, "ok", true, "request_id", "5f2b6c1e-req"); } }),
    ("ox_log_5_fields", n => { for (var i = 0; i < n; i++) { log.Info("request_done", "name", "bob", "count", ++count, "ratio", 0.25, "ok", true, "request_id", "5f2b6c1e-req"); } }),
    ("mel_filtered", n => { for (var i = 0; i < n; i++) { Probe.Debug(mel, "bob", i, null); } }),
    ("mel_log_2_fields", n => { for (var i = 0; i < n; i++) { Probe.Done(mel, "bob", ++count, null); } }),
};

foreach (var (_, run) in contenders)
{
    run(calls / 10); // warm-up: JIT tiers, queue buffers
}

var samples = contenders.ToDictionary(c => c.Name, _ => new List<double>());
for (var round = 0; round < Rounds; round++)
{
    foreach (var (name, run) in contenders)
    {
        // Filtered calls cost a few nanoseconds: run more of them so a round lasts long enough to time.
        var n = name.EndsWith("filtered", StringComparison.Ordinal) ? calls * 10 : calls / 4;
        var started = Stopwatch.GetTimestamp();
        run(n);
        samples[name].Add(Stopwatch.GetElapsedTime(started).TotalNanoseconds / n);
        Ox.Flush();
    }
}

Ox.Shutdown();
Console.WriteLine(string.Join(' ', samples.Select(s => $"{s.Key}={Median(s.Value):0.00}")));

static double Median(List<double> values)
{
    values.Sort();
    return values[values.Count / 2];
}

internal sealed class DiscardSink : IEventSink
{
    public void Emit(in EventBatch batch)
    {
    }
}

internal static class Probe
{
    public static readonly Action<ILogger, string, int, Exception?> Debug =
        LoggerMessage.Define<string, int>(LogLevel.Debug, new EventId(1, "cart"), "Cart of {Name} has {Count} items");

    public static readonly Action<ILogger, string, int, Exception?> Done =
        LoggerMessage.Define<string, int>(LogLevel.Information, new EventId(2, "order"), "Order of {Name} number {Count} placed");
}
