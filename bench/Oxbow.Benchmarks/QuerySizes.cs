using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;

namespace Oxbow.Benchmarks;

/// <summary>
/// How query cost grows with the store: the same questions at several sizes (5M, 20M and 50M events by default),
/// asked of a running collector (<c>POST /v1/query</c>, warm, as a console or dashboard asks), of chDB (ClickHouse
/// 26.x in process, behind bench/chdb/server.js, reading the same Parquet files) and of ClickHouse 18.16 (its own
/// MergeTree copy of the same events). Every round asks every contender at every size once, in turn (A B C …), so
/// the machine's drift from minute to minute falls on all of them alike. Prints medians, growth and ratios.
/// <code>
/// dotnet run -c Release --project bench/Oxbow.Benchmarks -- query-sizes [ROUNDS] [MILLIONS …]
/// </code>
/// Each size's store must exist (<c>OXBOW_QUERY_EVENTS=N query-store</c>); the collector is
/// src/Oxbow.Cli's Release build (or OXBOW_CLI); chDB needs <c>npm ci</c> in bench/chdb; OXBOW_PEERS picks contenders
/// (default <c>oxbow,chdb,clickhouse</c>) and OXBOW_QUESTIONS questions by number (default all).
/// </summary>
internal static class QuerySizes
{
    private const string Day = "2026-11-03";

    private sealed record Question(string Name, Func<QueryDataset, string> Oxbow, Func<QueryDataset, string> ChDb, Func<QueryDataset, string> ClickHouse, int Rows);

    private static readonly Question[] Questions =
    [
        new("one day's group-by",
            _ => $"SELECT product, count(*) FROM postcode_search WHERE day = '{Day}' GROUP BY product",
            s => $"SELECT product, count() FROM file('{s.Data}/type=postcode_search/day={Day}/*/*.parquet', Parquet) GROUP BY product",
            s => $"SELECT product, count() FROM {Table(s)} WHERE type = 'postcode_search' AND day = '{Day}' GROUP BY product", 5),
        new("exact p95 of duration by status, all days",
            _ => "SELECT status, quantile_cont(duration, 0.95) FROM request GROUP BY status",
            s => $"SELECT status, quantileExact(0.95)(duration) FROM file('{s.Data}/type=request/*/*/*.parquet', Parquet) GROUP BY status",
            s => $"SELECT status, quantileExact(0.95)(duration) FROM {Table(s)} WHERE type = 'request' GROUP BY status", 10),
        // chDB reads the envelope columns only: SELECT * over types with different columns needs
        // schema_inference_mode = 'union', which reads every file's schema on every query (its best case is this).
        new("every event of one trace",
            s => $"SELECT * FROM events WHERE trace_id = '{s.LookupTrace}'",
            s => $"SELECT id, type, start, end, trace_id FROM file('{s.Data}/type=*/*/*/*.parquet', Parquet) WHERE trace_id = '{s.LookupTrace}'",
            s => $"SELECT * FROM {Table(s)} WHERE trace_id = '{s.LookupTrace}'", 3),
    ];

    public static void Run(string[] args)
    {
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 15;
        var sets = (args.Length > 2 ? args[2..].Select(a => long.Parse(a, CultureInfo.InvariantCulture)) : [5, 20, 50])
            .Select(m => new QueryDataset(m * 1_000_000)).ToList();
        var peers = (Environment.GetEnvironmentVariable("OXBOW_PEERS") ?? "oxbow,chdb,clickhouse").Split(',');
        foreach (var set in sets.Where(s => !File.Exists(Path.Combine(s.Root, "store.done"))))
        {
            throw new InvalidOperationException($"no store at {set.Data}: make it with OXBOW_QUERY_EVENTS={set.TotalEvents} ... -- query-store");
        }

        var repository = Harness.Repository();
        List<Process> processes = [];
        ClickHouseServer? clickhouse = null;
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
        try
        {
            List<(string Peer, QueryDataset Set, Func<string, string> Ask)> contenders = [];
            foreach (var set in sets)
            {
                if (peers.Contains("oxbow"))
                {
                    var port = Harness.FreePort();
                    var cli = Environment.GetEnvironmentVariable("OXBOW_CLI") ?? Path.Combine(repository, "src/Oxbow.Cli/bin/Release/net10.0/Oxbow.Cli.dll");
                    processes.Add(Start("dotnet", [cli, "serve", "--data", set.Data, "--control", $"127.0.0.1:{port}", "--listen", $"127.0.0.1:{Harness.FreePort()}", "--compact-after", "off"]));
                    Harness.WaitFor(() => http.GetAsync($"http://127.0.0.1:{port}/healthz").Result.IsSuccessStatusCode);
                    contenders.Add(("oxbow", set, sql => Post(http, $"http://127.0.0.1:{port}/v1/query", JsonContent.Create(new { sql, format = "csv" }), header: true)));
                }
            }

            if (peers.Contains("chdb"))
            {
                var port = Harness.FreePort();
                processes.Add(Start("node", [Path.Combine(repository, "bench/chdb/server.js"), port.ToString(CultureInfo.InvariantCulture)]));
                Harness.WaitFor(() => Post(http, $"http://127.0.0.1:{port}/", new StringContent("SELECT 1"), header: false) == 1);
                var chdb = $"http://127.0.0.1:{port}/";
                contenders.AddRange(sets.Select(set => ("chdb", set, (Func<string, string>)(sql => Post(http, chdb, new StringContent(sql), header: false).ToString(CultureInfo.InvariantCulture)))));
            }

            if (peers.Contains("clickhouse"))
            {
                clickhouse = ClickHouseServer.Start(Path.Combine(Path.GetTempPath(), "oxbow-query-bench-clickhouse"));
                foreach (var set in sets.Where(s => !clickhouse.Holds(s, Table(s))))
                {
                    clickhouse.Load(set, Table(set));
                }

                var server = clickhouse;
                contenders.AddRange(sets.Select(set => ("clickhouse", set, (Func<string, string>)(sql => server.Query(sql).Count(c => c == '\n').ToString(CultureInfo.InvariantCulture)))));
            }

            WarmUp(contenders);
            Measure(contenders, rounds);
            foreach (var (peer, set, _) in contenders.Where(c => c.Peer == "oxbow"))
            {
                var process = processes[contenders.Where(c => c.Peer == "oxbow").Select(c => c.Set).ToList().IndexOf(set)];
                Console.WriteLine($"// collector at {set.TotalEvents / 1_000_000}M: peak resident memory {PeakMemory(process)}");
            }
        }
        finally
        {
            clickhouse?.Dispose();
            foreach (var process in processes)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
        }
    }

    /// <summary>
    /// Asks each collector the two cheap questions 50 times before anything is timed. A fresh collector's code
    /// (Kestrel, the query path) is still being compiled by the runtime's tiered JIT for its first hundred or so
    /// queries: a perf profile of the first 200 group-bys showed 19% of the process's CPU in the JIT's background
    /// thread, competing with the queries for this VM's two cores, and two warm-up rounds left that to the first
    /// question's timings. A collector that answers a console all day is past it.
    /// </summary>
    private static void WarmUp(List<(string Peer, QueryDataset Set, Func<string, string> Ask)> contenders)
    {
        foreach (var (_, set, ask) in contenders.Where(c => c.Peer == "oxbow"))
        {
            for (var i = 0; i < 50; i++)
            {
                ask(Questions[0].Oxbow(set));
                ask(Questions[2].Oxbow(set));
            }
        }
    }

    private static void Measure(List<(string Peer, QueryDataset Set, Func<string, string> Ask)> contenders, int rounds)
    {
        Console.WriteLine($"// {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {rounds} rounds, contenders alternated within each round; medians in ms");
        // OXBOW_QUESTIONS picks questions by number (1 day's group-by, 2 p95, 3 trace), such as "1,3".
        var picked = Environment.GetEnvironmentVariable("OXBOW_QUESTIONS")?.Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture) - 1).ToHashSet();
        foreach (var question in Questions.Where((_, i) => picked is null || picked.Contains(i)))
        {
            Dictionary<(string, long), List<double>> times = [];
            for (var round = -2; round < rounds; round++) // two warm-up rounds
            {
                foreach (var (peer, set, ask) in contenders)
                {
                    var sql = peer switch { "oxbow" => question.Oxbow(set), "chdb" => question.ChDb(set), _ => question.ClickHouse(set) };
                    var stopwatch = Stopwatch.StartNew();
                    var rows = int.Parse(ask(sql), CultureInfo.InvariantCulture);
                    var elapsed = stopwatch.Elapsed.TotalMilliseconds;
                    if (rows != question.Rows)
                    {
                        throw new InvalidOperationException($"{peer} at {set.TotalEvents:N0}: {question.Name}: expected {question.Rows} rows, got {rows}");
                    }

                    if (round >= 0)
                    {
                        (times.TryGetValue((peer, set.TotalEvents), out var list) ? list : times[(peer, set.TotalEvents)] = []).Add(elapsed);
                    }
                }
            }

            Console.WriteLine();
            Console.WriteLine($"### {question.Name}");
            var sizes = times.Keys.Select(k => k.Item2).Distinct().Order().ToList();
            var peers = times.Keys.Select(k => k.Item1).Distinct().ToList();
            Console.WriteLine("| peer | " + string.Join(" | ", sizes.Select(s => $"{s / 1_000_000}M")) + " | " + string.Join(" | ", sizes.Skip(1).Select(s => $"growth {sizes[0] / 1_000_000}M→{s / 1_000_000}M")) + " |");
            Console.WriteLine("|---|" + string.Concat(Enumerable.Repeat("---:|", sizes.Count * 2 - 1)));
            foreach (var peer in peers)
            {
                var medians = sizes.Select(s => Harness.Median(times[(peer, s)])).ToList();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {peer} | {string.Join(" | ", medians.Select(m => m.ToString("0.0", CultureInfo.InvariantCulture)))} | {string.Join(" | ", medians.Skip(1).Select(m => (m / medians[0]).ToString("0.00", CultureInfo.InvariantCulture) + "×"))} |"));
            }

            foreach (var peer in peers.Where(p => p != "oxbow" && peers.Contains("oxbow")))
            {
                Console.WriteLine($"oxbow / {peer}: " + string.Join(", ", sizes.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s / 1_000_000}M {Harness.Median(times[("oxbow", s)]) / Harness.Median(times[(peer, s)]):0.00}×"))));
            }
        }
    }

    /// <summary>POSTs and returns how many rows came back (lines, less a CSV header when there is one).</summary>
    private static string Post(HttpClient http, string url, HttpContent content, bool header)
    {
        using var response = http.PostAsync(url, content).Result;
        var text = response.Content.ReadAsStringAsync().Result;
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{url}: {(int)response.StatusCode} {text}");
        }

        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - (header ? 1 : 0);
        return lines.ToString(CultureInfo.InvariantCulture);
    }

    private static int Post(HttpClient http, string url, StringContent content, bool header) =>
        int.Parse(Post(http, url, (HttpContent)content, header), CultureInfo.InvariantCulture);

    /// <summary>The process's peak resident set (VmHWM), as /proc reports it.</summary>
    private static string PeakMemory(Process process) =>
        File.ReadLines($"/proc/{process.Id}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))?["VmHWM:".Length..].Trim() ?? "unknown";

    private static string Table(QueryDataset set) => $"events_{set.TotalEvents / 1_000_000}m";

    private static Process Start(string file, string[] arguments) => Harness.StartQuiet(new ProcessStartInfo(file, arguments));


}
