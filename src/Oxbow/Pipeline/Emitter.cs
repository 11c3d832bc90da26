using Oxbow.Codec;
using Oxbow.Testing;

namespace Oxbow.Pipeline;

/// <summary>Encodes events on the calling thread and hands the bytes to their destinations.</summary>
internal static class Emitter
{
    private const int KeptWriterCapacity = 64 * 1024;

    [ThreadStatic] private static Utf8EventWriter? t_writer;

    /// <summary>The calling thread's encoding buffer, emptied. Never held across user code, so it cannot be re-entered.</summary>
    public static Utf8EventWriter RentWriter()
    {
        var writer = t_writer ??= new Utf8EventWriter(2048);
        writer.Reset();
        return writer;
    }

    public static void ReleaseWriter(Utf8EventWriter writer) => writer.TrimTo(KeptWriterCapacity);

    /// <summary>
    /// Where an event of <paramref name="level"/> goes; false when nowhere. A capture on the current flow takes the
    /// event away from the pipeline: tests never write to the configured sinks.
    /// </summary>
    public static bool Destinations(OxLevel level, out EventPipeline? pipeline, out OxCapture? capture) =>
        Destinations(level, LevelScope.Global.Root, out pipeline, out capture);

    /// <summary>As <see cref="Destinations(OxLevel, out EventPipeline?, out OxCapture?)"/> for a logger's <paramref name="floor"/> (its scope and category).</summary>
    public static bool Destinations(OxLevel level, LevelFloor floor, out EventPipeline? pipeline, out OxCapture? capture)
    {
        var scope = floor.Scope;
        capture = scope.IsGlobal && OxCapture.AnyActive ? OxCapture.Current : null;
        if (capture is not null)
        {
            pipeline = null;
            if (level < capture.MinimumLevel)
            {
                capture = null;
                return false;
            }

            return true;
        }

        pipeline = scope.Pipeline;
        if (pipeline is not null && ((int)level < floor.Pipeline || pipeline.DropIfFull()))
        {
            pipeline = null;
        }

        return pipeline is not null;
    }

    public static void Dispatch(ReadOnlySpan<byte> line, EventPipeline? pipeline, OxCapture? capture)
    {
        capture?.Receive(line);
        pipeline?.Enqueue(line);
    }

    /// <summary>Runs processors, encodes and dispatches an event in object form. Never throws.</summary>
    public static void Emit(OxbowEvent e)
    {
        if (Destinations(e.Level, out var pipeline, out var capture))
        {
            Emit(e, pipeline, capture);
        }
    }

    /// <summary>As <see cref="Emit(OxbowEvent)"/>, to destinations the caller already resolved (and counted drops for).</summary>
    public static void Emit(OxbowEvent e, EventPipeline? pipeline, OxCapture? capture) => Emit(e, pipeline, capture, EventPipeline.Current);

    /// <summary>As <see cref="Emit(OxbowEvent, EventPipeline?, OxCapture?)"/>, with the settings (processors, keys) of <paramref name="configured"/>.</summary>
    public static void Emit(OxbowEvent e, EventPipeline? pipeline, OxCapture? capture, EventPipeline? configured)
    {
        try
        {
            if (configured is not null && !RunProcessors(configured, e))
            {
                return;
            }

            var writer = RentWriter();
            CanonicalJson.Write(writer, e, configured?.Keys ?? KeyCache.Default);
            writer.Byte((byte)'\n');
            Dispatch(writer.WrittenSpan, pipeline, capture);
            ReleaseWriter(writer);
        }
        catch (Exception ex)
        {
            ReportInternalError(ex);
        }
    }

    public static bool RunProcessors(EventPipeline pipeline, OxbowEvent e)
    {
        foreach (var processor in pipeline.Processors)
        {
            try
            {
                if (!processor.Process(e))
                {
                    pipeline.CountDroppedByProcessor();
                    return false;
                }
            }
            catch (Exception ex)
            {
                pipeline.CountInternalError(ex);
            }
        }

        return true;
    }

    public static void ReportInternalError(Exception ex)
    {
        if (EventPipeline.Current is { } pipeline)
        {
            pipeline.CountInternalError(ex);
        }
        else
        {
            OxbowSelfLog.Write($"internal error: {ex}");
        }
    }

    public static void CountValueError(Exception ex)
    {
        if (EventPipeline.Current is { } pipeline)
        {
            pipeline.CountValueError(ex);
        }
        else
        {
            OxbowSelfLog.Write($"field value error: {ex.GetType().FullName}: {ex.Message}");
        }
    }

    /// <summary>Identity of events: the configured one, or this process's when only a capture listens.</summary>
    public static IdentityJson Identity => EventPipeline.Current?.Identity ?? IdentityJson.Default;

    public static TimeProvider Time => EventPipeline.Current?.Time ?? TimeProvider.System;

    /// <summary>
    /// A point event (start = end = now) from this process, carrying the current trace: the Activity's when there is
    /// one, else the context's. A null <paramref name="id"/> gets a new one. Log calls and typed streams both make their
    /// events here.
    /// </summary>
    public static OxbowEvent PointEvent(string? id, string type, OxLevel level, OxContext? context, FieldMap body, EventPipeline? configured = null)
    {
        configured ??= EventPipeline.Current;
        var now = Timestamps.TruncateToMicroseconds((configured?.Time ?? TimeProvider.System).GetUtcNow().UtcDateTime);
        var identity = (configured?.Identity ?? IdentityJson.Default).Identity;
        var activity = System.Diagnostics.Activity.Current;
        var hasActivity = activity is not null && activity.TraceId != default;
        return new OxbowEvent
        {
            Id = id ?? OxId.NewId(now),
            Type = type,
            Start = now,
            End = now,
            Level = level,
            Host = identity.Host,
            Pid = identity.Pid,
            App = identity.App,
            TraceId = hasActivity ? activity!.TraceId.ToHexString() : context?.TraceId,
            SpanId = hasActivity ? activity!.SpanId.ToHexString() : context?.SpanId,
            Body = body,
        };
    }
}
