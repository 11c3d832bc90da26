using System.Diagnostics;
using System.Globalization;

namespace Oxbow.Benchmarks;

/// <summary>
/// Two builds of the collector beside rsyslog in one run: each round sends the same 200,000 acknowledged events to the
/// build before a change, to the build after it, and to rsyslog (plain and with mmjsonparse), in turn, the order
/// rotating every round (A B C D, B C D A, …), after warming both collectors as <see cref="IngestBenchmarks"/> does. Prints each one's median events/s and
/// each build's ratio to rsyslog, then each build's agent memory with its upstream down.
/// <code>
/// OXBOW_CLI_BEFORE=/path/to/old/Oxbow.Cli.dll dotnet run -c Release --project bench/Oxbow.Benchmarks -- ingest-ab [ROUNDS]
/// </code>
/// </summary>
internal static class IngestComparison
{
    public static void Run(string[] args)
    {
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 15;
        var before = Environment.GetEnvironmentVariable("OXBOW_CLI_BEFORE") ?? throw new InvalidOperationException("set OXBOW_CLI_BEFORE to the older build's Oxbow.Cli.dll");
        var builds = new (string Name, IngestBenchmarks Bench)[]
        {
            ("before", new IngestBenchmarks { Cli = before }),
            ("after", new IngestBenchmarks { Cli = IngestBenchmarks.CliDll(), WithRsyslog = false }),
        };
        foreach (var (name, bench) in builds)
        {
            Console.WriteLine($"// warming the {name} collector");
            bench.SetupOxbow();
        }

        var peers = builds[0].Bench;
        (string Name, Func<Task> Run)[] contenders =
        [
            ("collector, before", builds[0].Bench.Oxbow),
            ("collector, after", builds[1].Bench.Oxbow),
            ("rsyslog plain", peers.RsyslogPlain),
            ("rsyslog mmjsonparse", peers.RsyslogJson),
        ];
        Dictionary<string, List<double>> rates = contenders.ToDictionary(c => c.Name, _ => new List<double>());
        const int Events = 200_000;
        for (var round = 0; round < rounds; round++)
        {
            // The order rotates every round, so no contender always runs right after the same one (whose background
            // work, a collector's seals say, would then always land in its measurement).
            List<string> line = [];
            for (var i = 0; i < contenders.Length; i++)
            {
                var (name, run) = contenders[(round + i) % contenders.Length];
                var stopwatch = Stopwatch.StartNew();
                run().GetAwaiter().GetResult();
                rates[name].Add(Events / stopwatch.Elapsed.TotalSeconds);
                line.Add(string.Create(CultureInfo.InvariantCulture, $"{name} {rates[name][^1]:N0}"));
            }

            Console.WriteLine($"// round {round + 1}: {string.Join("; ", line)}");
        }

        Console.WriteLine($"// {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {rounds} rounds of {Events:N0} events each, alternated; medians");
        Console.WriteLine("| contender | events/s | ratio to rsyslog plain | ratio to rsyslog mmjsonparse |");
        Console.WriteLine("|---|---:|---:|---:|");
        var plain = Harness.Median(rates["rsyslog plain"]);
        var json = Harness.Median(rates["rsyslog mmjsonparse"]);
        foreach (var (name, _) in contenders)
        {
            var median = Harness.Median(rates[name]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {median:N0} | {median / plain:0.00} | {median / json:0.00} |"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"// after / before: {Harness.Median(rates["collector, after"]) / Harness.Median(rates["collector, before"]):0.000}"));
        foreach (var (name, bench) in builds)
        {
            Console.WriteLine($"// {name}:");
            bench.ReportAgentMemoryWithUpstreamDown();
        }

        foreach (var (_, bench) in builds)
        {
            bench.Cleanup();
        }
    }
}
