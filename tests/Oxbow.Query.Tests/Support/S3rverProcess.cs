using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Oxbow.Archive;

namespace Oxbow.Query.Tests.Support;

/// <summary>
/// A real S3-compatible server: <c>s3rver</c> 3.7.1 from npm (installed into .cache/s3rver by scripts/test, or here on
/// first use), on 127.0.0.1 with one bucket. Its quirks, which the archive's client settings account for: it needs
/// Node's legacy OpenSSL provider (or listing fails), path-style addressing, and plain bodies (no aws-chunked
/// encoding, no trailing checksums). Credentials are its fixed S3RVER/S3RVER.
/// </summary>
internal sealed class S3rverProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private S3rverProcess(Process process, int port, string bucket)
    {
        _process = process;
        Port = port;
        Bucket = bucket;
    }

    public int Port { get; }

    public string Bucket { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    public S3ArchiveOptions Options(string prefix = "oxbow") => new()
    {
        Bucket = Bucket,
        Prefix = prefix,
        Endpoint = Endpoint,
        AccessKey = "S3RVER",
        SecretKey = "S3RVER",
    };

    public Dictionary<string, string> Environment => new()
    {
        ["OXBOW_S3_BUCKET"] = Bucket,
        ["OXBOW_S3_ENDPOINT"] = Endpoint,
        ["AWS_ACCESS_KEY_ID"] = "S3RVER",
        ["AWS_SECRET_ACCESS_KEY"] = "S3RVER",
    };

    public static async Task<S3rverProcess> StartAsync(string directory, string bucket = "logs")
    {
        var script = await EnsureInstalledAsync();
        var port = DaemonProcess.FreePort();
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { script, "-d", directory, "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--silent", "--configure-bucket", bucket })
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["NODE_OPTIONS"] = "--openssl-legacy-provider";
        var server = new S3rverProcess(Process.Start(info)!, port, bucket);
        server._process.OutputDataReceived += (_, e) => { lock (server._output) { server._output.AppendLine(e.Data); } };
        server._process.ErrorDataReceived += (_, e) => { lock (server._output) { server._output.AppendLine(e.Data); } };
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port);
                return server;
            }
            catch (SocketException) when (!server._process.HasExited)
            {
                await Task.Delay(50);
            }
        }

        throw new TimeoutException($"s3rver did not start:\n{server._output}");
    }

    private static async Task<string> EnsureInstalledAsync()
    {
        var root = RepositoryRoot();
        var script = Path.Combine(root, ".cache", "s3rver", "node_modules", "s3rver", "bin", "s3rver.js");
        if (!File.Exists(script))
        {
            var info = new ProcessStartInfo("npm") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "install", "--silent", "--no-audit", "--no-fund", "--prefix", Path.Combine(root, ".cache", "s3rver"), "s3rver@3.7.1" })
            {
                info.ArgumentList.Add(argument);
            }

            using var npm = Process.Start(info)!;
            await npm.WaitForExitAsync();
            Assert.True(npm.ExitCode == 0, "npm install s3rver failed: " + await npm.StandardError.ReadToEndAsync());
        }

        return script;
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Oxbow.slnx")))
        {
            dir = dir.Parent;
        }

        return dir!.FullName;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
