using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace ClientPeers;

/// <summary>One measurement's figures.</summary>
/// <param name="Peer">The contender.</param>
/// <param name="Producers">Threads logging at once in the sustained part.</param>
/// <param name="FilteredNs">A call below the minimum level, ns (one thread).</param>
/// <param name="BurstNs">A call with room in the queue: bursts of 2,000 with a pause between, ns per call (one thread).</param>
/// <param name="SustainedNs">A call while every producer logs flat out, ns per call, averaged over the producers.</param>
/// <param name="EndToEnd">Events per second from the first sustained call until the file is closed with every event in it.</param>
/// <param name="BytesPerEvent">Bytes allocated per sustained event, by every thread (callers and writers).</param>
/// <param name="Lost">Events logged but not in the file.</param>
internal sealed record Result(string Peer, int Producers, double FilteredNs, double BurstNs, double SustainedNs, double EndToEnd, double BytesPerEvent, long Lost)
{
    public string ToJson() => JsonSerializer.Serialize(this);
}

internal static class Measure
{
    private const int Burst = 2_000;
    private const int Bursts = 100;
    private const int Filtered = 20_000_000;
    private const int WarmUp = 200_000;

    public static Result Run(string name, int producers, int events)
    {
        var directory = Path.Combine(Path.GetTempPath(), "oxbow-client-peers", name + "-" + Environment.ProcessId);
        Directory.CreateDirectory(directory);
        try
        {
            var logged = 0L;
            var peer = Peer.Create(name, directory);
            Sustained(peer, 1, WarmUp);
            logged += WarmUp;
            // The JIT moves hot methods to their optimized tier in the background, 100 ms after calls stop finding new
            // methods: without this pause the first bursts would time half-compiled code (seen: 465 ns, then 125).
            Thread.Sleep(500);

            var clock = Stopwatch.StartNew();
            for (var i = 0; i < Filtered; i++)
            {
                peer.Filtered(i);
            }

            var filteredNs = clock.Elapsed.TotalNanoseconds / Filtered;

            // The first run of bursts warms up this loop's own code (the JIT's on-stack replacement of this method, the
            // calling thread's buffers); the second is measured. Seen with one library: 334 ns a call in the first run,
            // 125 in every later one.
            var burstTicks = 0L;
            for (var run = 0; run < 2; run++)
            {
                burstTicks = 0L;
                for (var b = 0; b < Bursts; b++)
                {
                    // The pause lets the writer drain, so each burst finds room: what a call costs when nothing is behind.
                    Thread.Sleep(20);
                    var started = Stopwatch.GetTimestamp();
                    for (var i = 0; i < Burst; i++)
                    {
                        peer.Log(i);
                    }

                    burstTicks += Stopwatch.GetTimestamp() - started;
                }

                logged += Burst * Bursts;
            }

            var burstNs = burstTicks * 1e9 / Stopwatch.Frequency / (Burst * Bursts);

            Thread.Sleep(200);
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var endToEnd = Stopwatch.StartNew();
            var sustainedNs = Sustained(peer, producers, events);
            peer.Dispose();
            var seconds = endToEnd.Elapsed.TotalSeconds;
            var bytes = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)events;
            logged += events;
            var lines = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Sum(f => File.ReadLines(f).LongCount());
            return new Result(name, producers, Round(filteredNs), Round(burstNs), Round(sustainedNs), Math.Round(events / seconds), Round(bytes), logged - lines);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Every producer logs its share flat out; returns the mean ns per call over the producers.</summary>
    private static double Sustained(Peer peer, int producers, int events)
    {
        var share = events / producers;
        var perCall = new double[producers];
        using var ready = new Barrier(producers);
        var threads = Enumerable.Range(0, producers).Select(p => new Thread(() =>
        {
            ready.SignalAndWait();
            var started = Stopwatch.GetTimestamp();
            var first = p * share;
            for (var i = first; i < first + share; i++)
            {
                peer.Log(i);
            }

            perCall[p] = Stopwatch.GetElapsedTime(started).TotalNanoseconds / share;
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return perCall.Average();
    }

    private static double Round(double value) => Math.Round(value, value < 10 ? 2 : 0);
}

internal static class Report
{
    public static void Print(List<Result> results, int rounds, int events)
    {
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Medians of {rounds} alternated rounds, {events:N0} sustained events per process:"));
        Console.WriteLine();
        Console.WriteLine("| producers | library | filtered ns | burst ns | sustained ns | end to end, events/s | B/event | lost (max) |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|");
        foreach (var group in results.GroupBy(r => (r.Producers, r.Peer)))
        {
            var list = group.ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {group.Key.Producers} | {group.Key.Peer} | {Median(list, r => r.FilteredNs):0.00} | {Median(list, r => r.BurstNs):N0} | {Median(list, r => r.SustainedNs):N0} | {Median(list, r => r.EndToEnd):N0} | {Median(list, r => r.BytesPerEvent):N0} | {list.Max(r => r.Lost):N0} |"));
        }
    }

    private static double Median(List<Result> results, Func<Result, double> value)
    {
        var sorted = results.Select(value).Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
