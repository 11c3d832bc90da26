using System.CommandLine;

namespace Oxbow.Cli.Commands;

/// <summary>The <c>--data DIR</c> option of the commands that read the store directly.</summary>
internal static class DataDirectory
{
    public static Option<string> Create() => new("--data")
    {
        Description = "the collector's data directory (default $OXBOW_DATA or ./oxbow-data, as for serve)",
    };

    public static string Resolve(ParseResult parse, Option<string> option) =>
        parse.GetValue(option) ?? Environment.GetEnvironmentVariable("OXBOW_DATA") ?? "oxbow-data";
}
