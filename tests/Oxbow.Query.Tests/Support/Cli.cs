using System.Diagnostics;
using System.Text;

namespace Oxbow.Query.Tests.Support;

/// <summary>Runs the real <c>oxbow</c> command and keeps stdout and stderr apart.</summary>
internal static class Cli
{
    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(DaemonProcess.CliDll);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    public static Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] arguments) => RunAsync(null, arguments);
}

/// <summary>A hand-written clock for retention and compaction tests.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
