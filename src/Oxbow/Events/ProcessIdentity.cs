using System.Diagnostics;
using System.Reflection;

namespace Oxbow;

/// <summary>Who emits events: host, process id and service name (the OpenTelemetry "resource").</summary>
public sealed record ProcessIdentity(string Host, int Pid, string App)
{
    /// <summary>This process, named by <c>OXBOW_APP</c> or else the entry assembly, and <c>OXBOW_HOSTNAME</c> or else the machine name.</summary>
    public static ProcessIdentity Current { get; } = new(
        Environment.GetEnvironmentVariable("OXBOW_HOSTNAME") is { Length: > 0 } host ? host : Environment.MachineName,
        Environment.ProcessId,
        Environment.GetEnvironmentVariable("OXBOW_APP") is { Length: > 0 } app ? app : DefaultAppName());

    private static string DefaultAppName()
    {
        var name = Assembly.GetEntryAssembly()?.GetName().Name;
        if (string.IsNullOrEmpty(name))
        {
            using var process = Process.GetCurrentProcess();
            name = process.ProcessName;
        }

        return name;
    }
}
