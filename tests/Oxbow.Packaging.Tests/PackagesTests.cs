using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using Oxbow.Packaging.Tests.Support;

namespace Oxbow.Packaging.Tests;

/// <summary>
/// Oxbow as a user gets it: the packages packed into a folder, a fresh <c>dotnet new web</c> app that references them
/// as packages from that folder, and the <c>oxbow</c> tool installed with <c>dotnet tool install</c> and run from its
/// tool path, with nothing from the repository on any path.
/// </summary>
public sealed class PackagesTests
{
    private static readonly string[] Packable = ["Oxbow", "Oxbow.AspNetCore", "Oxbow.Cli", "Oxbow.Extensions.Logging", "Oxbow.Serilog"];

    private static readonly string[] DuckDbNatives =
    [
        "runtimes/linux-x64/native/libduckdb.so",
        "runtimes/linux-arm64/native/libduckdb.so",
        "runtimes/osx/native/libduckdb.dylib",
        "runtimes/win-x64/native/duckdb.dll",
        "runtimes/win-arm64/native/duckdb.dll",
    ];

    [Fact]
    public async Task A_fresh_web_app_using_the_packages_sends_events_that_the_installed_tool_stores_and_answers_sql_about()
    {
        using var dir = new TempDirectory();
        var work = new Commands(dir.Sub("nuget"));

        // A version no cache or feed has ever seen, so nothing but the packages packed here can be restored.
        var version = "0.1.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture);
        var feed = dir.Sub("feed");
        await work.RunAsync(Repository.Root, "dotnet", "pack", Path.Combine(Repository.Root, "Oxbow.slnx"), "-c", Repository.Configuration,
            "--no-build", "--no-restore", "-o", feed, $"-p:Version={version}");

        // Exactly the four client packages and the tool are packed, each with its symbols.
        var packages = Directory.GetFiles(feed, "*.nupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(Packable.Select(id => $"{id}.{version}.nupkg"), packages);
        Assert.Equal(Packable.Select(id => $"{id}.{version}.snupkg"), Directory.GetFiles(feed, "*.snupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // The tool carries DuckDB's native library for every supported runtime; the client carries its protocol assembly
        // for both target frameworks, and no package carries another package's internals.
        var tool = Entries(Path.Combine(feed, $"Oxbow.Cli.{version}.nupkg"));
        Assert.All(DuckDbNatives, native => Assert.Contains("tools/net10.0/any/" + native, tool));
        Assert.Contains("tools/net10.0/any/DotnetToolSettings.xml", tool);
        var client = Entries(Path.Combine(feed, $"Oxbow.{version}.nupkg"));
        Assert.Equal(
            ["README.md", "lib/net10.0/Oxbow.Protocol.dll", "lib/net10.0/Oxbow.dll", "lib/net10.0/Oxbow.xml", "lib/net8.0/Oxbow.Protocol.dll", "lib/net8.0/Oxbow.dll", "lib/net8.0/Oxbow.xml"],
            client.Where(e => e.StartsWith("lib/", StringComparison.Ordinal) || e == "README.md").Order(StringComparer.Ordinal));

        // The tool, installed the way a user installs it.
        var tools = dir.Sub("tools");
        await work.RunAsync(dir.Path, "dotnet", "tool", "install", "Oxbow.Cli", "--version", version, "--tool-path", tools, "--add-source", feed);
        var oxbow = Path.Combine(tools, "oxbow");
        Assert.True(File.Exists(oxbow), "dotnet tool install left no oxbow command in " + tools);

        var control = LoopbackPorts.Reserve();
        var ingest = LoopbackPorts.Reserve();
        var data = dir.Sub("data");
        using var collector = work.Start(dir.Path, oxbow, "serve", "--data", data, "--control", $"127.0.0.1:{control}", "--listen", $"127.0.0.1:{ingest}");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await WaitForAsync(http, $"http://127.0.0.1:{control}/healthz", collector);

        // A fresh web app from the SDK's template, with the packages from the folder.
        var app = dir.Sub("app");
        await work.RunAsync(dir.Path, "dotnet", "new", "web", "-o", app, "-n", "PackagedApp", "--no-restore");
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="oxbow-packed" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        var project = Path.Combine(app, "PackagedApp.csproj");
        var csproj = await File.ReadAllTextAsync(project);
        // Both frameworks the client packages target: net8.0 runs self-contained below, on a real .NET 8 runtime.
        csproj = csproj.Replace("<TargetFramework>net10.0</TargetFramework>", "<TargetFrameworks>net10.0;net8.0</TargetFrameworks>", StringComparison.Ordinal);
        await File.WriteAllTextAsync(project, csproj.Replace("</Project>", $"""
              <ItemGroup>
                <PackageReference Include="Oxbow.AspNetCore" Version="{version}" />
                <PackageReference Include="Oxbow.Extensions.Logging" Version="{version}" />
              </ItemGroup>
            </Project>
            """, StringComparison.Ordinal));
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), """
            using Oxbow;
            using Oxbow.AspNetCore;
            using Oxbow.Extensions.Logging;

            Ox.Configure(o =>
            {
                o.App = "packaged-app";
                o.WriteToOxbow(Environment.GetEnvironmentVariable("COLLECTOR")!);
            });
            var builder = WebApplication.CreateBuilder(args);
            builder.Logging.ClearProviders();
            builder.Logging.AddOxbow();
            var app = builder.Build();
            app.UseOxbowRequests();
            app.MapGet("/hello/{name}", (string name, ILogger<Program> log) =>
            {
                Ox.Set("runtime", Environment.Version.Major);
                log.LogInformation("Greeting {Name}", name);
                Ox.Log.Info($"Hello {name:@visitor}");
                Ox.Log.Greeted(name);
                return $"hello {name}";
            });
            app.Lifetime.ApplicationStopped.Register(Ox.Shutdown);
            app.Run();

            // The [OxbowMessage] generator travels inside the Oxbow package.
            static partial class AppLog
            {
                [OxbowMessage(OxLevel.Info, "Greeted {Who}")]
                public static partial void Greeted(this OxLogger log, string who);
            }
            """);
        await work.RunAsync(app, "dotnet", "build", "-c", "Release", "-f", "net10.0");
        var net8 = dir.Sub("app-net8");
        await work.RunAsync(app, "dotnet", "publish", "-c", "Release", "-f", "net8.0", "-r", "linux-x64", "--self-contained", "-o", net8);

        var port = LoopbackPorts.Reserve();
        using (var web = work.Start(app, "dotnet", [Path.Combine(app, "bin", "Release", "net10.0", "PackagedApp.dll"), "--urls", $"http://127.0.0.1:{port}"],
            new Dictionary<string, string> { ["COLLECTOR"] = $"127.0.0.1:{ingest}" }))
        {
            await WaitForAsync(http, $"http://127.0.0.1:{port}/hello/probe", web);
            foreach (var name in new[] { "ann", "bob", "cy" })
            {
                Assert.Equal($"hello {name}", await http.GetStringAsync($"http://127.0.0.1:{port}/hello/{name}"));
            }

            // The events arrive (acknowledged by the collector), and the tool's SQL over its store answers with them.
            var expected = "path,status,app\n/hello/ann,200,packaged-app\n/hello/bob,200,packaged-app\n/hello/cy,200,packaged-app\n";
            var answer = "";
            await Eventually.TrueAsync(
                () =>
                {
                    answer = work.Run(dir.Path, oxbow, "query", "SELECT path, status, app FROM request WHERE path <> '/hello/probe' ORDER BY path",
                        "--data", data, "--format", "csv").Replace("\r\n", "\n", StringComparison.Ordinal);
                    return answer == expected;
                },
                () => $"the store answered:\n{answer}\ncollector:\n{collector.Output}\napp:\n{web.Output}",
                seconds: 180);

            var greetings = work.Run(dir.Path, oxbow, "query", "SELECT \"Name\" FROM events WHERE message LIKE 'Greeting %' AND \"Name\" IN ('ann', 'bob', 'cy') ORDER BY 1",
                "--data", data, "--format", "csv").Replace("\r\n", "\n", StringComparison.Ordinal);
            Assert.Equal("Name\nann\nbob\ncy\n", greetings);

            // An interpolated string and a generated method, from the packages as an application gets them.
            var messages = work.Run(dir.Path, oxbow, "query",
                "SELECT template, coalesce(visitor, \"Who\") AS who FROM events WHERE template IN ('Hello {visitor}', 'Greeted {Who}') AND coalesce(visitor, \"Who\") IN ('ann', 'bob') ORDER BY 1, 2",
                "--data", data, "--format", "csv").Replace("\r\n", "\n", StringComparison.Ordinal);
            Assert.Equal("template,who\nGreeted {Who},ann\nGreeted {Who},bob\nHello {visitor},ann\nHello {visitor},bob\n", messages);
        }

        // The same app on .NET 8 (the packages' net8.0 assets, a .NET 8 runtime published with it).
        var port8 = LoopbackPorts.Reserve();
        using (var web8 = work.Start(net8, Path.Combine(net8, "PackagedApp"), ["--urls", $"http://127.0.0.1:{port8}"],
            new Dictionary<string, string> { ["COLLECTOR"] = $"127.0.0.1:{ingest}" }))
        {
            await WaitForAsync(http, $"http://127.0.0.1:{port8}/hello/probe8", web8);
            Assert.Equal("hello net8", await http.GetStringAsync($"http://127.0.0.1:{port8}/hello/net8"));
            var answer = "";
            await Eventually.TrueAsync(
                () =>
                {
                    answer = work.Run(dir.Path, oxbow, "query", "SELECT path, status, runtime FROM request WHERE path = '/hello/net8'",
                        "--data", data, "--format", "csv").Replace("\r\n", "\n", StringComparison.Ordinal);
                    return answer == "path,status,runtime\n/hello/net8,200,8\n";
                },
                () => $"the store answered:\n{answer}\napp:\n{web8.Output}",
                seconds: 180);
        }
    }

    private static string[] Entries(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        return zip.Entries.Select(e => e.FullName).ToArray();
    }

    private static async Task WaitForAsync(HttpClient http, string url, Commands.Running process)
    {
        var up = false;
        await Eventually.TrueAsync(
            () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"{process.Name} exited with {process.ExitCode}:\n{process.Output}");
                }

                try
                {
                    using var response = http.GetAsync(url).GetAwaiter().GetResult();
                    up = response.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    up = false;
                }

                return up;
            },
            () => $"{url} did not answer 200:\n{process.Output}",
            seconds: 180);
    }
}
