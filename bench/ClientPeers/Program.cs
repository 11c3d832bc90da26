using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ClientPeers;

// bench clients: what a logging call costs the calling thread, and how fast and how completely events reach a file,
// for Oxbow and each peer at its fastest lossless setting (bench/ClientPeers/Peer.cs).
//
//   dotnet run -c Release --project bench/ClientPeers -- [rounds] [events]        the driver (defaults: 5 rounds, 1,000,000 events)
//   dotnet run -c Release --project bench/ClientPeers -- one PEER PRODUCERS EVENTS  one measurement, printed as JSON
//
// Every measurement is a fresh process (no library's garbage or JIT state leaks into the next), and the driver
// alternates the contenders within each round (A B C … A B C …) because this machine's speed drifts minute to minute.
if (args is ["one", var peerName, var producersText, var eventsText])
{
    Console.Error.WriteLine(Measure.Run(peerName, int.Parse(producersText, CultureInfo.InvariantCulture), int.Parse(eventsText, CultureInfo.InvariantCulture)).ToJson());
    return;
}

var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
var events = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;
var peers = Environment.GetEnvironmentVariable("CLIENT_PEERS") is { Length: > 0 } only ? only.Split(',') : Peer.Names;
int[] producerCounts = Environment.GetEnvironmentVariable("CLIENT_PRODUCERS") is { Length: > 0 } p ? [.. p.Split(',').Select(int.Parse)] : [1, 2, 4];
var results = new List<Result>();
for (var round = 0; round < rounds; round++)
{
    foreach (var producers in producerCounts)
    {
        foreach (var peer in peers)
        {
            var result = Child(peer, producers, events);
            results.Add(result);
            Console.WriteLine($"round {round}: {result.ToJson()}");
        }
    }
}

Report.Print(results, rounds, events);

static Result Child(string peer, int producers, int events)
{
    // Run as the apphost, or as "dotnet ClientPeers.dll" (dotnet run uses the apphost; a copied build may not).
    var host = Environment.ProcessPath!;
    string[] self = Path.GetFileNameWithoutExtension(host) == "dotnet" ? [typeof(Result).Assembly.Location] : [];
    var start = new ProcessStartInfo(host, [.. self, "one", peer, producers.ToString(CultureInfo.InvariantCulture), events.ToString(CultureInfo.InvariantCulture)])
    {
        RedirectStandardError = true,
        RedirectStandardOutput = true,
    };
    using var process = Process.Start(start)!;
    process.OutputDataReceived += (_, _) => { };
    process.BeginOutputReadLine();
    var error = process.StandardError.ReadToEnd();
    process.WaitForExit();
    var line = error.Split('\n').LastOrDefault(l => l.StartsWith('{'));
    return line is null || process.ExitCode != 0
        ? throw new InvalidOperationException($"{peer} with {producers} producers failed ({process.ExitCode}): {error}")
        : JsonSerializer.Deserialize<Result>(line)!;
}
