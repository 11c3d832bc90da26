using System.Diagnostics;
using System.Globalization;
using DuckDB.NET.Data;
using Oxbow.DuckDb;

namespace Oxbow.Benchmarks;

/// <summary>
/// Oxbow's DuckDB reader (the C API's chunk and vector functions, <c>src/Oxbow.Query/DuckDb</c>) against the standard
/// ADO.NET provider, DuckDB.NET.Data.Full 1.5.6.1, over the same native library in one process: the same query's
/// rows read to the end, with every value as an object (what the query endpoint's writers consume) and, for the
/// provider, also through its typed getters, its fastest path. The contenders alternate round by round (A B C A B C …)
/// because this machine's speed drifts; medians are reported.
/// <c>dotnet run -c Release --project bench/Oxbow.Benchmarks -- duckdb-readers</c>
/// </summary>
internal static class DuckDbReaderComparison
{
    private const string Sql =
        "SELECT i AS id, i * 1.5::DOUBLE AS duration, 'user_' || (i % 1000) AS name, i % 7 = 0 AS flag, " +
        "TIMESTAMP '2026-01-01' + to_seconds(i) AS at FROM range(1000000) t(i)";

    public static void Run(int rounds = 11)
    {
        using var database = DuckDbDatabase.Open();
        using var oxbow = database.Connect();
        using var ado = new DuckDBConnection("Data Source=:memory:");
        ado.Open();
        var contenders = new (string Name, Func<long> Read)[]
        {
            ("Oxbow vector reader, values as objects", () => Oxbow(oxbow)),
            ("DuckDB.NET ADO.NET, GetValues", () => AdoValues(ado)),
            ("DuckDB.NET ADO.NET, typed getters", () => AdoTyped(ado)),
        };
        var times = contenders.Select(_ => new List<double>()).ToArray();
        for (var round = -1; round < rounds; round++)
        {
            for (var c = 0; c < contenders.Length; c++)
            {
                var watch = Stopwatch.StartNew();
                var rows = contenders[c].Read();
                watch.Stop();
                if (rows != 1_000_000)
                {
                    throw new InvalidOperationException($"{contenders[c].Name} read {rows} rows");
                }

                if (round >= 0)
                {
                    times[c].Add(watch.Elapsed.TotalMilliseconds); // round -1 warms up
                }
            }
        }

        var baseline = Median(times[0]);
        Console.WriteLine($"1,000,000 rows x 5 columns, {rounds} alternating rounds, median ms (ratio to Oxbow)");
        for (var c = 0; c < contenders.Length; c++)
        {
            var median = Median(times[c]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{contenders[c].Name,-42} {median,8:F1} ms  {median / baseline,5:F2}x"));
        }
    }

    private static long Oxbow(DuckDbConnection connection)
    {
        using var result = connection.Query(Sql);
        long rows = 0;
        foreach (var row in result.Rows())
        {
            rows += row.Length > 0 ? 1 : 0;
        }

        return rows;
    }

    private static long AdoValues(DuckDBConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Sql;
        using var reader = command.ExecuteReader();
        long rows = 0;
        while (reader.Read())
        {
            // A fresh array per row, as the query writers keep each row's values (and as Oxbow's reader yields them).
            var values = new object[reader.FieldCount];
            reader.GetValues(values);
            rows++;
        }

        return rows;
    }

    private static long AdoTyped(DuckDBConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Sql;
        using var reader = command.ExecuteReader();
        long rows = 0;
        long sum = 0;
        while (reader.Read())
        {
            sum += reader.GetInt64(0) + (long)reader.GetDouble(1) + reader.GetString(2).Length + (reader.GetBoolean(3) ? 1 : 0) + reader.GetDateTime(4).Ticks;
            rows++;
        }

        return sum == long.MinValue ? 0 : rows;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
