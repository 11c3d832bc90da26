using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using NLog.Layouts;
using NLog.Targets;
using NLog.Targets.Wrappers;
using Serilog;
using Serilog.Formatting.Json;

namespace Oxbow.Benchmarks;

/// <summary>
/// Each library set up at its fastest for "one JSON line per event into a file", as its own documentation
/// recommends. The event is always: name <c>request_done</c> plus five fields (string, int, double, bool, id string).
/// </summary>
internal static class Peers
{
    public const string Template = "request_done {Name} {Count} {Ratio} {Ok} {RequestId}";

    public static string NewDirectory(string name)
    {
        var directory = Path.Combine(Path.GetTempPath(), "oxbow-bench", name + "-" + Environment.ProcessId);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        Directory.CreateDirectory(directory);
        return directory;
    }

    public static long CountLines(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Sum(f => File.ReadLines(f).LongCount());

    /// <summary>Oxbow: rolling JSON-lines file, background writer.</summary>
    public static void ConfigureOxbow(string directory, QueueFullMode mode) => Ox.Configure(o =>
    {
        o.Sinks.Clear();
        o.App = "bench";
        o.MinimumLevel = OxLevel.Info;
        o.QueueFullMode = mode;
        o.QueueCapacityBytes = 8 * 1024 * 1024;
        o.WriteToFile(Path.Combine(directory, "oxbow.ndjson"), f =>
        {
            f.Interval = Sinks.RollInterval.Infinite;
            f.FileSizeLimitBytes = null;
        });
    });

    /// <summary>Serilog 3.1.1: File sink, buffered, JsonFormatter (Serilog.Formatting.Compact is not on this mirror).</summary>
    public static Serilog.Core.Logger Serilog(string directory) => new LoggerConfiguration()
        .MinimumLevel.Information()
        .WriteTo.File(new JsonFormatter(), Path.Combine(directory, "serilog.json"), buffered: true)
        .CreateLogger();

    /// <summary>NLog 6.2: AsyncTargetWrapper around a FileTarget with JsonLayout including event properties.</summary>
    public static NLog.Logger NLog(string directory, AsyncTargetWrapperOverflowAction overflow)
    {
        var layout = new JsonLayout { IncludeEventProperties = true };
        layout.Attributes.Add(new JsonAttribute("time", "${date:universalTime=true:format=o}"));
        layout.Attributes.Add(new JsonAttribute("level", "${level:lowercase=true}"));
        layout.Attributes.Add(new JsonAttribute("message", "${message:raw=true}"));
        var file = new FileTarget("file")
        {
            FileName = Path.Combine(directory, "nlog.json"),
            Layout = layout,
            KeepFileOpen = true,
            AutoFlush = false,
        };
        var async = new AsyncTargetWrapper("async", file) { OverflowAction = overflow, QueueLimit = 10_000 };
        var configuration = new global::NLog.Config.LoggingConfiguration();
        configuration.AddRule(global::NLog.LogLevel.Info, global::NLog.LogLevel.Fatal, async);
        global::NLog.LogManager.Configuration = configuration;
        return global::NLog.LogManager.GetLogger("bench");
    }

    /// <summary>Microsoft.Extensions.Logging: JSON console formatter, console redirected to a file.</summary>
    public static (ILoggerFactory Factory, Microsoft.Extensions.Logging.ILogger Logger, TextWriter Output) Mel(string directory, ConsoleLoggerQueueFullMode mode)
    {
        var output = new StreamWriter(Path.Combine(directory, "mel.json"), append: false) { AutoFlush = false };
        Console.SetOut(output);
        var factory = LoggerFactory.Create(builder => builder
            .SetMinimumLevel(LogLevel.Information)
            .AddJsonConsole()
            .AddConsole(o => o.QueueFullMode = mode));
        return (factory, factory.CreateLogger("bench"), output);
    }

    /// <summary>MEL's fastest call: a precompiled <see cref="LoggerMessage"/> delegate.</summary>
    public static readonly Action<Microsoft.Extensions.Logging.ILogger, string, int, double, bool, string, Exception?> MelRequestDone =
        LoggerMessage.Define<string, int, double, bool, string>(LogLevel.Information, new EventId(1, "request_done"), Template);

    public static readonly Action<Microsoft.Extensions.Logging.ILogger, string, int, double, bool, string, Exception?> MelRequestDoneDebug =
        LoggerMessage.Define<string, int, double, bool, string>(LogLevel.Debug, new EventId(2, "request_done"), Template);
}
