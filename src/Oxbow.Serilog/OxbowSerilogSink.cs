using Serilog;
using Serilog.Configuration;
using Serilog.Core;
using Serilog.Events;

namespace Oxbow.Serilog;

/// <summary>
/// A Serilog sink: each Serilog event becomes an Oxbow log event (<c>log</c>, or <c>&lt;context&gt;.log</c> inside
/// an <see cref="OxContext"/>) with <c>event</c> (the message template), <c>message</c> (rendered), each property as
/// a typed field (structures as objects, sequences as arrays, dictionaries as objects), and the exception structured.
/// Levels: Verbose maps to trace, Debug to debug, Information to info, Warning and Error to themselves, Fatal to critical.
/// </summary>
/// <remarks>
/// Error contract (as Serilog's <see cref="ILogEventSink"/>): <see cref="Emit"/> never throws. Oxbow's own queue is
/// bounded and never blocks in its default mode, so a Serilog pipeline cannot stall on Oxbow. Disposal (which
/// <c>Log.CloseAndFlush()</c> and disposing the logger do) flushes Oxbow; when this sink configured Oxbow itself, it
/// shuts Oxbow down, so every queued event is written or acknowledged before the process ends.
/// </remarks>
public sealed class OxbowSerilogSink : ILogEventSink, IDisposable
{
    private const int MaxCachedContexts = 4096;
    private readonly bool _ownsPipeline;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, OxLogger> _loggers = new(StringComparer.Ordinal);
    private int _disposed;

    /// <summary>A sink over Oxbow as the application configured it (<c>Ox.Configure</c>).</summary>
    public OxbowSerilogSink()
    {
    }

    internal OxbowSerilogSink(bool ownsPipeline) => _ownsPipeline = ownsPipeline;

    /// <summary>Flushes Oxbow (waiting up to 10 s), or shuts it down when this sink configured it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_ownsPipeline)
        {
            Ox.Shutdown();
        }
        else
        {
            Ox.Flush();
        }
    }

    /// <inheritdoc />
    public void Emit(LogEvent logEvent)
    {
        var level = Map(logEvent.Level);
        var logger = LoggerFor(logEvent);
        if (!logger.IsEnabled(level))
        {
            return;
        }

        List<KeyValuePair<string, object?>> fields = [new("message", logEvent.RenderMessage(System.Globalization.CultureInfo.InvariantCulture))];
        foreach (var (name, value) in logEvent.Properties)
        {
            fields.Add(new(name, Convert(value)));
        }

        logger.Log(level, logEvent.Exception, logEvent.MessageTemplate.Text, fields);
    }

    /// <summary>
    /// The logger of the event's <c>SourceContext</c> (Serilog's category, from <c>ForContext&lt;T&gt;()</c>), so
    /// Oxbow's category levels (<c>Levels</c>) apply to Serilog events as to <c>ILogger</c> ones. The context is
    /// already a field of the event, so the logger binds nothing. Contexts are class names, a bounded set; past
    /// <see cref="MaxCachedContexts"/> the sink stops caching rather than grow.
    /// </summary>
    private OxLogger LoggerFor(LogEvent logEvent)
    {
        if (!logEvent.Properties.TryGetValue("SourceContext", out var property) || property is not ScalarValue { Value: string context })
        {
            return OxLogger.Root;
        }

        if (_loggers.TryGetValue(context, out var cached))
        {
            return cached;
        }

        var logger = Ox.GetLogger(context).TryUnbind("logger");
        if (_loggers.Count < MaxCachedContexts)
        {
            _loggers.TryAdd(context, logger);
        }

        return logger;
    }

    private static object? Convert(LogEventPropertyValue value) => value switch
    {
        ScalarValue scalar => scalar.Value,
        SequenceValue sequence => sequence.Elements.Select(Convert).ToList(),
        StructureValue structure => structure.Properties.ToDictionary(p => p.Name, p => Convert(p.Value)),
        DictionaryValue dictionary => dictionary.Elements.ToDictionary(e => e.Key.Value?.ToString() ?? "", e => Convert(e.Value)),
        _ => value.ToString(),
    };

    private static OxLevel Map(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose => OxLevel.Trace,
        LogEventLevel.Debug => OxLevel.Debug,
        LogEventLevel.Information => OxLevel.Info,
        LogEventLevel.Warning => OxLevel.Warning,
        LogEventLevel.Error => OxLevel.Error,
        _ => OxLevel.Critical,
    };
}
