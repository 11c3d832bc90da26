using System.CommandLine;
using Oxbow.DuckDb;
using Oxbow.Query.Store;

namespace Oxbow.Cli.Commands;

/// <summary><c>oxbow table import NAME FILE.csv</c>: a reference table that queries can join.</summary>
internal static class TableCommand
{
    public static Command Create()
    {
        var command = new Command("table", "Reference tables that queries can join.");
        var import = new Command("import", "Import a CSV file (header row, types detected) as a table; replaces a table of the same name.");
        var name = new Argument<string>("name") { Description = "table name: [a-z_][a-z0-9_]*" };
        var file = new Argument<string>("file") { Description = "the CSV file" };
        var data = DataDirectory.Create();
        import.Arguments.Add(name);
        import.Arguments.Add(file);
        import.Options.Add(data);
        import.SetAction(parse =>
        {
            try
            {
                var rows = ReferenceTables.Import(DataDirectory.Resolve(parse, data), parse.GetValue(name)!, parse.GetValue(file)!);
                Console.WriteLine($"imported {rows} rows into table {parse.GetValue(name)}");
                return 0;
            }
            catch (Exception ex) when (ex is DuckDbException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                return ControlClient.Fail(ex.Message.ReplaceLineEndings(" ").Trim());
            }
        });
        command.Subcommands.Add(import);
        return command;
    }
}
