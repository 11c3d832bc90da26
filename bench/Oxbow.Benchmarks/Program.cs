using BenchmarkDotNet.Running;
using Oxbow.DuckDb;

// dotnet run -c Release --project bench/Oxbow.Benchmarks -- --filter '*'
// dotnet run -c Release --project bench/Oxbow.Benchmarks -- duckdb-readers   (an alternating harness, not BenchmarkDotNet)
if (args is ["duckdb-readers", ..])
{
    Oxbow.Benchmarks.DuckDbReaderComparison.Run();
    return;
}

// dotnet run -c Release --project bench/Oxbow.Benchmarks -- query-store   (makes the 5M-event store; prints its path and the trace looked up)
// dotnet run -c Release --project bench/Oxbow.Benchmarks -- query-sizes [ROUNDS] [MILLIONS …]   (growth with the store; Oxbow, chDB, ClickHouse 18.16)
if (args is ["query-sizes", ..])
{
    Oxbow.Benchmarks.QuerySizes.Run(args);
    return;
}

// OXBOW_CLI_BEFORE=…/Oxbow.Cli.dll dotnet run -c Release --project bench/Oxbow.Benchmarks -- ingest-ab [ROUNDS]   (two collector builds and rsyslog, alternated)
if (args is ["ingest-ab", ..])
{
    Oxbow.Benchmarks.IngestComparison.Run(args);
    return;
}

// dotnet run -c Release --project bench/Oxbow.Benchmarks -- console [ROUNDS]   (the web console's calls on the 5M store; live tail vs ingest)
if (args is ["console", ..])
{
    Oxbow.Benchmarks.ConsoleLatency.Run(args);
    return;
}

if (args is ["query-store", ..])
{
    Console.WriteLine(Oxbow.Benchmarks.QueryBenchmarks.EnsureStore());
    Console.WriteLine(Oxbow.Benchmarks.QueryBenchmarks.LookupTrace);
    return;
}

// dotnet run -c Release --project bench/Oxbow.Benchmarks -- receivers [rounds]   (native, OTLP and CLEF ingest, alternated)
if (args is ["receivers-profile", ..])
{
    Oxbow.Benchmarks.ReceiverProfile.Run();
    return;
}

if (args is ["receivers", ..])
{
    Oxbow.Benchmarks.ReceiverComparison.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 7);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
