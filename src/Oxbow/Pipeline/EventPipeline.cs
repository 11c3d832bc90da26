using Oxbow.Codec;
using Oxbow.Logging;
using Oxbow.Sinks;

namespace Oxbow.Pipeline;

/// <summary>
/// A configured Oxbow: the immutable settings the hot path reads, the queue, and the background writer thread that
/// moves batches from the queue to the sinks.
/// </summary>
internal sealed class EventPipeline : IDisposable
{
    private static EventPipeline? s_current;

    private readonly bool _systemClock;
    private readonly EventQueue _queue;
    private readonly IEventSink[] _sinks;
    private readonly int[] _sinkLevels;
    private readonly SinkFilter _filter = new();
    private LevelRules _levels;
    private readonly Thread _writer;
    private readonly TimeSpan _shutdownTimeout;
    private long _written;
    private long _sinkErrors;
    private long _internalErrors;
    private long _valueErrors;
    private long _droppedByProcessor;
    private int _disposed;

    public EventPipeline(OxbowOptions options)
    {
        _sinks = options.Sinks.ToArray();
        _sinkLevels = _sinks.Select(sink => (int)options.SinkLevel(sink)).ToArray();
        _levels = Rules(options, _sinkLevels);
        Time = options.TimeProvider;
        _systemClock = ReferenceEquals(Time, TimeProvider.System);
        SampleSource = options.SampleSource;
        Keys = new KeyCache(options.Redaction);
        Identity = new IdentityJson(new ProcessIdentity(options.Host, Environment.ProcessId, options.App));
        Processors = options.Processors.ToArray();
        MaxEventBytes = Math.Min(options.MaxEventBytes, Math.Max(options.QueueCapacityBytes, options.QueueMaxBytes));
        _shutdownTimeout = options.ShutdownTimeout;
        _queue = new EventQueue(options.QueueCapacityBytes, options.QueueMaxBytes, MaxEventBytes, options.QueueFullMode, options.BatchInterval, options.TimeProvider);
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "oxbow-writer" };
        // UnsafeStart: the writer must not capture the configuring caller's ExecutionContext, or its AsyncLocals
        // (ambient fields, a test's capture, an Activity) would be visible to every sink for the life of the process.
        _writer.UnsafeStart();
        foreach (var sink in _sinks)
        {
            (sink as IStartableSink)?.Start(Identity.Identity.App);
        }

        OxbowMetrics.Started(this);
    }

    public static EventPipeline? Current => Volatile.Read(ref s_current);

    /// <summary>The levels in force; replaced whole by <see cref="UpdateLevels"/>.</summary>
    public LevelRules Levels => Volatile.Read(ref _levels);

    public IReadOnlyList<IEventSink> Sinks => _sinks;

    public long QueueBytes => _queue.Bytes;

    public int QueueCapacity => _queue.Capacity;

    public bool QueueFull => _queue.IsFull;

    public TimeProvider Time { get; }

    /// <summary>Now, in UTC ticks: the system clock read directly (no virtual call, no offset) unless a test set a clock.</summary>
    public long UtcNowTicks => _systemClock ? DateTime.UtcNow.Ticks : Time.GetUtcNow().UtcTicks;

    public Func<double> SampleSource { get; }

    public KeyCache Keys { get; }

    public IdentityJson Identity { get; }

    public IEventProcessor[] Processors { get; }

    public int MaxEventBytes { get; }

    /// <summary>
    /// Takes the levels of <paramref name="options"/>: the default, the category overrides and each sink's minimum
    /// (matched by position). Sinks are not rebuilt. Returns false when the sink list differs in length, which needs
    /// a restart to take effect (the default and category levels still apply).
    /// </summary>
    public bool UpdateLevels(OxbowOptions options)
    {
        var sameSinks = options.Sinks.Count == _sinks.Length;
        if (sameSinks)
        {
            for (var i = 0; i < _sinks.Length; i++)
            {
                Volatile.Write(ref _sinkLevels[i], (int)options.SinkLevel(options.Sinks[i]));
            }
        }

        Volatile.Write(ref _levels, Rules(options, _sinkLevels));
        return sameSinks;
    }

    private static LevelRules Rules(OxbowOptions options, int[] sinkLevels) =>
        new(options.MinimumLevel, options.Levels, sinkLevels.Length == 0 ? OxLevel.Trace : (OxLevel)sinkLevels.Min());

    public static EventPipeline? Exchange(EventPipeline? next) => Interlocked.Exchange(ref s_current, next);

    public void Enqueue(ReadOnlySpan<byte> line) => _queue.TryEnqueue(line);

    /// <summary>True, and the event counted as dropped, when the queue is full in drop mode: skip encoding it.</summary>
    public bool DropIfFull()
    {
        if (!_queue.IsFull)
        {
            return false;
        }

        _queue.CountDroppedFull();
        return true;
    }

    public void CountInternalError(Exception exception)
    {
        Interlocked.Increment(ref _internalErrors);
        OxbowSelfLog.Write($"internal error: {exception}");
    }

    public void CountValueError(Exception exception)
    {
        // The value's own code failed, not Oxbow: count it, and say what it was only where self-logging is on.
        if (Interlocked.Increment(ref _valueErrors) == 1)
        {
            OxbowSelfLog.Write($"a field value threw while being read and was written as a marker: {exception.GetType().FullName}: {exception.Message}");
        }
    }

    public void CountDroppedByProcessor() => Interlocked.Increment(ref _droppedByProcessor);

    public bool Flush(TimeSpan timeout) => Thread.CurrentThread == _writer || _queue.Flush(timeout);

    public OxbowStats Stats => new(
        _queue.Enqueued,
        Volatile.Read(ref _written),
        _queue.DroppedQueueFull,
        _queue.DroppedOversized,
        Volatile.Read(ref _droppedByProcessor),
        Volatile.Read(ref _sinkErrors),
        Volatile.Read(ref _internalErrors),
        Volatile.Read(ref _valueErrors));

    private void WriteLoop()
    {
        var report = new Utf8EventWriter(512);
        var formatted = new Utf8EventWriter(64 * 1024);
        while (_queue.TakeBatch(out var buffer, out var bytes, out var count, out var records, out var ticket))
        {
            if (records > 0)
            {
                FormatAndEmit(buffer.AsSpan(0, bytes), formatted);
            }
            else if (count > 0)
            {
                Emit(EventQueue.AsBatch(buffer, bytes, count));
                Interlocked.Add(ref _written, count);
            }

            // The queue has room again: the loss goes into the stream, where queries and dashboards see the gap.
            if (_queue.TakeDropReport(out var queueFull, out var oversized, out var first))
            {
                report.Reset();
                DropReport.Write(report, Identity, queueFull, oversized, first, Time.GetUtcNow());
                Emit(new EventBatch(report.WrittenSpan.ToArray(), 1));
            }

            _queue.BatchDone(ticket);
        }
    }

    /// <summary>Largest run of formatted lines handed to the sinks at once: a grown queue is formatted in pieces.</summary>
    private const int FormattedChunkBytes = 1024 * 1024;

    /// <summary>
    /// Formats the log records of a batch into JSON lines (copying the lines already JSON as they are) and emits them
    /// in order, in chunks of about <see cref="FormattedChunkBytes"/>. A line formatted over the size limit is dropped
    /// and counted as oversized, as the queue would have.
    /// </summary>
    private void FormatAndEmit(ReadOnlySpan<byte> queued, Utf8EventWriter formatted)
    {
        formatted.Reset();
        var lines = 0;
        while (!queued.IsEmpty)
        {
            int length;
            if (queued[0] == LogRecord.Marker)
            {
                length = LogRecord.LengthAt(queued);
                var start = formatted.Length;
                try
                {
                    LogRecord.Render(queued[..length], formatted, Keys, Identity);
                    if (formatted.Length - start > MaxEventBytes)
                    {
                        formatted.Truncate(start);
                        _queue.CountOversized();
                    }
                    else
                    {
                        lines++;
                    }
                }
                catch (Exception ex)
                {
                    formatted.Truncate(start);
                    CountInternalError(ex);
                }
            }
            else
            {
                // Every JSON line in the queue ends with a newline; the guard only keeps a broken one from looping.
                var newline = queued.IndexOf((byte)'\n');
                length = newline < 0 ? queued.Length : newline + 1;
                formatted.Raw(queued[..length]);
                lines++;
            }

            queued = queued[length..];
            if (formatted.Length >= FormattedChunkBytes || (queued.IsEmpty && lines > 0))
            {
                Emit(new EventBatch(formatted.WrittenMemory, lines)); // sinks do not keep a batch past Emit
                Interlocked.Add(ref _written, lines);
                formatted.Reset();
                lines = 0;
            }
        }

        formatted.TrimTo(FormattedChunkBytes * 2);
    }

    private void Emit(EventBatch batch)
    {
        var lowest = (int)Levels.Lowest;
        for (var i = 0; i < _sinks.Length; i++)
        {
            var sink = _sinks[i];
            try
            {
                // A sink whose minimum is at or below every rule gets the batch as it is; only a sink that
                // is stricter than the pipeline pays for a filtered copy.
                var level = Volatile.Read(ref _sinkLevels[i]);
                if (level <= lowest)
                {
                    sink.Emit(batch);
                }
                else if (_filter.Filter(batch, (OxLevel)level) is { Count: > 0 } filtered)
                {
                    sink.Emit(filtered);
                }
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref _sinkErrors);
                SinkFailures.Report(sink.GetType().Name, $"{ex.GetType().Name}: {ex.Message}", batch.Count);
            }
        }
    }

    /// <summary>Drains the queue within the shutdown timeout, stops the writer and disposes the sinks.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        OxbowMetrics.Stopped(this);
        _queue.Flush(_shutdownTimeout);
        _queue.Complete();
        if (_writer.Join(_shutdownTimeout))
        {
            _queue.Dispose();
        }

        foreach (var sink in _sinks)
        {
            try
            {
                (sink as IDisposable)?.Dispose();
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref _sinkErrors);
                OxbowSelfLog.Write($"sink {sink.GetType().Name} failed to close: {ex}");
            }
        }
    }
}

/// <summary>The constant part of every event, <c>,"host":…,"pid":…,"app":…</c>, encoded once.</summary>
internal sealed class IdentityJson
{
    public IdentityJson(ProcessIdentity identity)
    {
        Identity = identity;
        var writer = new Utf8EventWriter(256);
        CanonicalJson.WriteIdentity(writer, identity.Host, identity.Pid, identity.App);
        Utf8 = writer.WrittenSpan.ToArray();
    }

    public static IdentityJson Default { get; } = new(ProcessIdentity.Current);

    public ProcessIdentity Identity { get; }

    public byte[] Utf8 { get; }
}
