using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Oxbow.Benchmarks;

/// <summary>What the harnesses that start servers and time them share: ports, quiet child processes, medians.</summary>
internal static class Harness
{
    /// <summary>A TCP port on 127.0.0.1 that is free now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts <paramref name="info"/> with its output read and dropped, so a chatty child never blocks on a full pipe.</summary>
    public static Process StartQuiet(ProcessStartInfo info)
    {
        info.UseShellExecute = false;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>The median; for an even count, the mean of the two middle values.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>Waits until <paramref name="ready"/> holds (a server answering), for up to two minutes.</summary>
    public static void WaitFor(Func<bool> ready)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            try
            {
                if (ready())
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or AggregateException or InvalidOperationException && DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("a server did not start");
            }

            Thread.Sleep(100);
        }
    }

    /// <summary>The repository's root (where Oxbow.slnx is), found from the running benchmark.</summary>
    public static string Repository()
    {
        var directory = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(directory, "Oxbow.slnx")))
        {
            directory = Path.GetDirectoryName(directory.TrimEnd('/')) ?? throw new InvalidOperationException("run from the repository");
        }

        return directory;
    }
}
