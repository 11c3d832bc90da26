using System.Diagnostics;
using System.Text;

namespace Oxbow.Packaging.Tests.Support;

/// <summary>
/// Runs the SDK and the installed tool as a user would, in an environment of their own: a private NuGet package folder
/// (so nothing packed here reaches the machine's cache), no MSBuild variables inherited from the test host, and no
/// <c>OXBOW_*</c> settings.
/// </summary>
internal sealed class Commands(string packagesFolder)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    /// <summary>Runs to the end; throws with the output unless it exits with 0.</summary>
    public async Task RunAsync(string directory, string file, params string[] arguments)
    {
        using var process = Begin(directory, file, arguments, null, out var output);
        using var deadline = new CancellationTokenSource(Timeout);
        await process.WaitForExitAsync(deadline.Token);
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{output}");
    }

    /// <summary>Runs to the end and returns standard output, or the exit code and everything written when it failed.</summary>
    public string Run(string directory, string file, params string[] arguments)
    {
        var info = Info(directory, file, arguments, null);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
        }

        return process.ExitCode == 0 ? stdout : $"exit {process.ExitCode}: {stdout}{stderr.GetAwaiter().GetResult()}";
    }

    public Running Start(string directory, string file, params string[] arguments) => Start(directory, file, arguments, null);

    public Running Start(string directory, string file, string[] arguments, IReadOnlyDictionary<string, string>? environment)
    {
        var process = Begin(directory, file, arguments, environment, out var output);
        return new Running(Path.GetFileName(file), process, output);
    }

    private Process Begin(string directory, string file, string[] arguments, IReadOnlyDictionary<string, string>? environment, out StringBuilder output)
    {
        var text = new StringBuilder();
        var process = new Process { StartInfo = Info(directory, file, arguments, environment) };
        process.OutputDataReceived += (_, e) => Append(text, e.Data);
        process.ErrorDataReceived += (_, e) => Append(text, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        output = text;
        return process;
    }

    private ProcessStartInfo Info(string directory, string file, string[] arguments, IReadOnlyDictionary<string, string>? environment)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = directory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var name in info.Environment.Keys.ToArray())
        {
            if (name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || name.StartsWith("OXBOW_", StringComparison.Ordinal) ||
                name is "DOTNET_HOST_PATH" or "VSTEST_HOST_DEBUG" or "TESTINGPLATFORM_EXITCODE_IGNORE")
            {
                info.Environment.Remove(name);
            }
        }

        info.Environment["NUGET_PACKAGES"] = packagesFolder;
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return info;
    }

    private static void Append(StringBuilder text, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (text)
        {
            text.AppendLine(line);
        }
    }

    /// <summary>A process left running; disposal stops it and its children.</summary>
    public sealed class Running(string name, Process process, StringBuilder output) : IDisposable
    {
        public string Name => name;

        public bool HasExited => process.HasExited;

        public int ExitCode => process.ExitCode;

        public string Output
        {
            get
            {
                lock (output)
                {
                    return output.ToString();
                }
            }
        }

        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.WaitForExit();
            process.Dispose();
        }
    }
}
