using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using NLog.Layouts;
using NLog.Targets;
using NLog.Targets.Wrappers;
using Oxbow;
using Serilog;
using Serilog.Formatting.Compact;
using ZLogger;
using ILogger = Microsoft.Extensions.Logging.ILogger;

namespace ClientPeers;

/// <summary>
/// One logging library set up at its fastest lossless setting for "one JSON line per event into a file", as its own
/// documentation recommends. The event is always <c>request_done</c> with five fields: a string, an int, a double, a
/// bool and an id string.
/// </summary>
internal abstract class Peer : IDisposable
{
    public static readonly string[] Names = ["oxbow", "oxbow-wait", "zlogger", "zlogger-grow", "serilog", "nlog", "mel"];

    /// <summary>Logs event number <paramref name="i"/> at Information.</summary>
    public abstract void Log(int i);

    /// <summary>The same call at Debug, below the minimum level: what a filtered call costs.</summary>
    public abstract void Filtered(int i);

    /// <summary>Writes everything logged so far to the file and closes it.</summary>
    public abstract void Dispose();

    public static Peer Create(string name, string directory) => name switch
    {
        "oxbow" => new OxbowPeer(directory, QueueFullMode.DropNewest),
        "oxbow-wait" => new OxbowPeer(directory, QueueFullMode.Wait),
        "zlogger" => new ZLoggerPeer(directory, BackgroundBufferFullMode.Block),
        "zlogger-grow" => new ZLoggerPeer(directory, BackgroundBufferFullMode.Grow),
        "serilog" => new SerilogPeer(directory),
        "nlog" => new NLogPeer(directory),
        "mel" => new MelPeer(directory),
        _ => throw new ArgumentException($"unknown peer '{name}'; one of {string.Join(", ", Names)}"),
    };
}

/// <summary>Oxbow: its rolling JSON-lines file sink (never rolled here); the default queue, or wait mode.</summary>
internal sealed class OxbowPeer : Peer
{
    private readonly OxLogger _log;

    public OxbowPeer(string directory, QueueFullMode mode)
    {
        Ox.Configure(o =>
        {
            o.Sinks.Clear();
            o.App = "bench";
            o.MinimumLevel = OxLevel.Info;
            o.QueueFullMode = mode;
            o.WriteToFile(Path.Combine(directory, "oxbow.ndjson"), f =>
            {
                f.Interval = Oxbow.Sinks.RollInterval.Infinite;
                f.FileSizeLimitBytes = null;
            });
        });
        _log = Ox.GetLogger("bench");
    }

    public override void Log(int i) => _log.Info("request_done", "name", "bob", "count", i, "ratio", 0.25, "ok", true, "request_id", "5f2b6c1e-req");

    public override void Filtered(int i) => _log.Debug("request_done", "name", "bob", "count", i, "ratio", 0.25, "ok", true, "request_id", "5f2b6c1e-req");

    public override void Dispose() => Ox.Shutdown();
}

/// <summary>ZLogger 2.6: <c>[ZLoggerMessage]</c> methods, its JSON formatter, its file provider (Block or Grow when full).</summary>
internal sealed partial class ZLoggerPeer : Peer
{
    private readonly ILoggerFactory _factory;
    private readonly ILogger _logger;

    public ZLoggerPeer(string directory, BackgroundBufferFullMode mode)
    {
        _factory = LoggerFactory.Create(logging =>
        {
            logging.ClearProviders();
            logging.SetMinimumLevel(LogLevel.Information);
            logging.AddZLoggerFile(Path.Combine(directory, "zlogger.json"), options =>
            {
                options.UseJsonFormatter();
                options.FullMode = mode;
            });
        });
        _logger = _factory.CreateLogger("bench");
    }

    public override void Log(int i) => RequestDone(_logger, "bob", i, 0.25, true, "5f2b6c1e-req");

    public override void Filtered(int i) => RequestDoneDebug(_logger, "bob", i, 0.25, true, "5f2b6c1e-req");

    public override void Dispose() => _factory.Dispose();

    [ZLoggerMessage(LogLevel.Information, "request_done {name} {count} {ratio} {ok} {requestId}")]
    private static partial void RequestDone(ILogger logger, string name, int count, double ratio, bool ok, string requestId);

    [ZLoggerMessage(LogLevel.Debug, "request_done {name} {count} {ratio} {ok} {requestId}")]
    private static partial void RequestDoneDebug(ILogger logger, string name, int count, double ratio, bool ok, string requestId);
}

/// <summary>Serilog 4.4: the File sink 7, buffered, with <c>CompactJsonFormatter</c>.</summary>
internal sealed class SerilogPeer(string directory) : Peer
{
    private readonly Serilog.Core.Logger _logger = new LoggerConfiguration()
        .MinimumLevel.Information()
        .WriteTo.File(new CompactJsonFormatter(), Path.Combine(directory, "serilog.json"), buffered: true)
        .CreateLogger();

    public override void Log(int i) => _logger.Information("request_done {Name} {Count} {Ratio} {Ok} {RequestId}", "bob", i, 0.25, true, "5f2b6c1e-req");

    public override void Filtered(int i) => _logger.Debug("request_done {Name} {Count} {Ratio} {Ok} {RequestId}", "bob", i, 0.25, true, "5f2b6c1e-req");

    public override void Dispose() => _logger.Dispose();
}

/// <summary>NLog 6.2: an <c>AsyncTargetWrapper</c> (Block when full) around a <c>FileTarget</c> with a <c>JsonLayout</c>.</summary>
internal sealed class NLogPeer : Peer
{
    private readonly NLog.LogFactory _factory = new();
    private readonly NLog.Logger _logger;

    public NLogPeer(string directory)
    {
        var layout = new JsonLayout { IncludeEventProperties = true };
        layout.Attributes.Add(new JsonAttribute("time", "${date:universalTime=true:format=o}"));
        layout.Attributes.Add(new JsonAttribute("level", "${level:lowercase=true}"));
        layout.Attributes.Add(new JsonAttribute("message", "${message}"));
        var file = new FileTarget("file") { FileName = Path.Combine(directory, "nlog.json"), Layout = layout, KeepFileOpen = true, AutoFlush = false };
        var async = new AsyncTargetWrapper(file) { OverflowAction = AsyncTargetWrapperOverflowAction.Block, QueueLimit = 10_000, BatchSize = 1000 };
        var config = new NLog.Config.LoggingConfiguration(_factory);
        config.AddRule(NLog.LogLevel.Info, NLog.LogLevel.Fatal, async);
        _factory.Configuration = config;
        _logger = _factory.GetLogger("bench");
    }

    public override void Log(int i) => _logger.Info("request_done {Name} {Count} {Ratio} {Ok} {RequestId}", "bob", i, 0.25, true, "5f2b6c1e-req");

    public override void Filtered(int i) => _logger.Debug("request_done {Name} {Count} {Ratio} {Ok} {RequestId}", "bob", i, 0.25, true, "5f2b6c1e-req");

    public override void Dispose() => _factory.Shutdown();
}

/// <summary>
/// Microsoft.Extensions.Logging alone: <c>[LoggerMessage]</c> methods and the JSON console formatter, whose queue waits
/// when full (its default), with standard output sent to a buffered file.
/// </summary>
internal sealed partial class MelPeer : Peer
{
    private readonly StreamWriter _output;
    private readonly ILoggerFactory _factory;
    private readonly ILogger _logger;

    public MelPeer(string directory)
    {
        _output = new StreamWriter(Path.Combine(directory, "mel.json"), append: false, System.Text.Encoding.UTF8, bufferSize: 1 << 16);
        Console.SetOut(_output);
        _factory = LoggerFactory.Create(logging =>
        {
            logging.ClearProviders();
            logging.SetMinimumLevel(LogLevel.Information);
            logging.AddJsonConsole(o => o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false });
            logging.Services.Configure<ConsoleLoggerOptions>(o => o.QueueFullMode = ConsoleLoggerQueueFullMode.Wait);
        });
        _logger = _factory.CreateLogger("bench");
    }

    public override void Log(int i) => RequestDone(_logger, "bob", i, 0.25, true, "5f2b6c1e-req");

    public override void Filtered(int i) => RequestDoneDebug(_logger, "bob", i, 0.25, true, "5f2b6c1e-req");

    public override void Dispose()
    {
        _factory.Dispose();
        _output.Flush();
        _output.Dispose();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "request_done {Name} {Count} {Ratio} {Ok} {RequestId}")]
    private static partial void RequestDone(ILogger logger, string name, int count, double ratio, bool ok, string requestId);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "request_done {Name} {Count} {Ratio} {Ok} {RequestId}")]
    private static partial void RequestDoneDebug(ILogger logger, string name, int count, double ratio, bool ok, string requestId);
}
