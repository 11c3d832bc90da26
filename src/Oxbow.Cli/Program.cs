using System.CommandLine;
using Oxbow.Cli.Commands;
using Oxbow.Cli.Native;

if (args is ["serve", ..])
{
    MallocTunables.Apply();
}

// The oxbow command. Every failure is one line on stderr and a non-zero exit code.
// A command named "oxbow" rather than RootCommand, whose name is the assembly's ("Oxbow.Cli"): help and errors
// then say what a user types.
var root = new Command("oxbow", "Oxbow: structured events for .NET. Collect, forward, store, tail and view them.")
{
    new System.CommandLine.Help.HelpOption(),
    new VersionOption(),
};
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(TailCommand.Create());
root.Subcommands.Add(ViewCommand.Create());
root.Subcommands.Add(CtlCommand.Create());
root.Subcommands.Add(SendCommand.Create());
root.Subcommands.Add(IngestCommand.Create());
root.Subcommands.Add(QueryCommand.Create());
root.Subcommands.Add(StoreCommand.Create());
root.Subcommands.Add(TableCommand.Create());
// The daemon drains on SIGTERM through its own host lifetime, so no forced exit after a termination signal.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
