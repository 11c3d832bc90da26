using System.Text;
using BenchmarkDotNet.Attributes;
using Oxbow.Daemon.Ingest;

namespace Oxbow.Benchmarks;

/// <summary>
/// What the key check (issue 16: keys DuckDB can read) costs on ingest's hot path: the JSON scan of a canonical
/// line's rest, with and without tracking keys, over 1,000 typical events (8 body fields, one nested object).
/// <c>dotnet run -c Release --project bench/Oxbow.Benchmarks -- --filter '*ValidationBenchmarks*'</c>
/// </summary>
[MemoryDiagnoser]
public class ValidationBenchmarks
{
    private byte[][] _rests = [];

    [GlobalSetup]
    public void Setup()
    {
        _rests = [.. Enumerable.Range(0, 1000).Select(i => Encoding.UTF8.GetBytes(
            $",\"level\":\"info\",\"host\":\"web-{i % 7}\",\"pid\":4242,\"app\":\"shop\",\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\"," +
            $"\"body\":{{\"method\":\"GET\",\"path\":\"/orders/{i}\",\"status\":200,\"duration_ms\":{i % 97}.5,\"user\":\"u{i}\"," +
            $"\"region\":\"eu-west\",\"cache\":{{\"hit\":true,\"key\":\"k{i}\"}},\"bytes\":{i * 13}}}}}"))];
    }

    [Benchmark(Baseline = true)]
    public int SyntaxOnly()
    {
        var valid = 0;
        foreach (var rest in _rests)
        {
            valid += JsonSyntax.IsValidObjectRest(rest) ? 1 : 0;
        }

        return valid;
    }

    [Benchmark]
    public int SyntaxAndKeys()
    {
        var valid = 0;
        foreach (var rest in _rests)
        {
            valid += JsonSyntax.IsValidObjectRest(rest, out var clean) && clean ? 1 : 0;
        }

        return valid;
    }
}
