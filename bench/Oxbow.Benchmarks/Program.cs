using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Oxbow.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
