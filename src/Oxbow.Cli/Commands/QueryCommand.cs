using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Oxbow.DuckDb;
using Oxbow.Query.Output;
using Oxbow.Query.Store;

namespace Oxbow.Cli.Commands;

/// <summary><c>oxbow query "SQL"</c>: SQL over the store, read directly (<c>--data</c>) or through a daemon (<c>--control</c>).</summary>
internal static class QueryCommand
{
    public static Command Create()
    {
        var command = new Command("query", "Run SQL over stored events: one view per type (\"request\", \"request.db\"), events for all of them, day and hour as columns.");
        var sql = new Argument<string>("sql") { Description = "one SELECT, for example: SELECT status, count(*) FROM request WHERE day = '2026-11-22' GROUP BY ALL" };
        var data = DataDirectory.Create();
        var format = new Option<ResultFormat>("--format") { Description = "table (default), json (one object per line) or csv", DefaultValueFactory = _ => ResultFormat.Table };
        var stats = new Option<bool>("--stats") { Description = "print the files read (of those the views cover) and the time on stderr" };
        command.Arguments.Add(sql);
        command.Options.Add(data);
        command.Options.Add(format);
        command.Options.Add(stats);
        ControlClient.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(ControlClient.Control) is not null)
            {
                return await ControlClient.RunAsync(() => RemoteAsync(parse, parse.GetValue(sql)!, parse.GetValue(format), parse.GetValue(stats)));
            }

            var directory = DataDirectory.Resolve(parse, data);
            if (!Directory.Exists(directory))
            {
                return ControlClient.Fail($"{directory}: no such data directory (give --data, or --control to ask a running collector)");
            }

            try
            {
                using var query = new StoreQuery(new StoreQueryOptions
                {
                    DataDirectory = directory,
                    FileSkipped = (file, problem) => Console.Error.WriteLine($"oxbow: left out a file DuckDB cannot read: {file}: {problem}"),
                });
                using var stdout = Console.OpenStandardOutput();
                var collected = query.Read(parse.GetValue(sql)!, reader => ResultWriter.Write(stdout, parse.GetValue(format), reader.Columns, reader.Rows()), parse.GetValue(stats));
                if (collected is not null)
                {
                    Console.Error.WriteLine(StoreQuery.Describe(collected));
                }

                return 0;
            }
            catch (DuckDbException ex)
            {
                return ControlClient.Fail(ex.Message.ReplaceLineEndings(" ").Trim());
            }
        });
        return command;
    }

    private static async Task<int> RemoteAsync(ParseResult parse, string sql, ResultFormat format, bool stats)
    {
        using var client = ControlClient.Create(parse, TimeSpan.FromMinutes(10));
        var request = new JsonObject
        {
            ["sql"] = sql,
            ["format"] = format switch { ResultFormat.Csv => "csv", ResultFormat.Json => "jsonl", _ => "table" },
            ["stats"] = stats,
        };
        using var response = await client.PostAsJsonAsync("v1/query", request);
        if (!response.IsSuccessStatusCode)
        {
            var error = await response.Content.ReadAsStringAsync();
            try
            {
                return ControlClient.Fail(JsonNode.Parse(error)?["error"]?.GetValue<string>() ?? error);
            }
            catch (System.Text.Json.JsonException)
            {
                return await ControlClient.CheckAsync(response);
            }
        }

        using var stdout = Console.OpenStandardOutput();
        await response.Content.CopyToAsync(stdout);
        if (response.Headers.TryGetValues("Oxbow-Query-Stats", out var values))
        {
            Console.Error.WriteLine(string.Join(" ", values));
        }

        return 0;
    }
}
