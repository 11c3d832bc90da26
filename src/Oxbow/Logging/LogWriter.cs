using System.Diagnostics;
using Oxbow.Codec;
using Oxbow.Pipeline;
using Oxbow.Templates;
using Oxbow.Testing;

namespace Oxbow.Logging;

/// <summary>
/// Builds log events, by the cheapest of three paths that can carry the call. To a pipeline, the call leaves a
/// <see cref="LogRecord"/> of raw values in the queue and the writer thread formats it. To a capture (which needs the
/// line at once) and for messages, canonical JSON is written straight into the thread's pooled buffer. Both allocate
/// nothing. The slow path builds an <see cref="OxbowEvent"/> when something needs one: processors, an exception, or
/// dotted keys that must nest. All three produce the same bytes for the same input.
/// </summary>
internal static class LogWriter
{
    public static ReadOnlySpan<byte> LogType => "\"log\""u8;

    /// <summary>Writes a message event from <paramref name="builder"/>, then gives the builder back.</summary>
    public static void WriteMessage(OxLogger logger, OxLevel level, Exception? exception, MessageBuilder builder)
    {
        Write(logger, level, exception, null, new MessageFields(builder));
        MessageBuilder.Return(builder);
    }

    /// <summary>Writes a log event; a null <paramref name="evt"/> means the fields write the <c>event</c> member themselves.</summary>
    public static void Write<TFields>(OxLogger logger, OxLevel level, Exception? exception, string? evt, in TFields fields)
        where TFields : struct, IFieldList
    {
        try
        {
            var floor = logger.Floor;
            if (!Emitter.Destinations(level, floor, out var pipeline, out var capture))
            {
                return;
            }

            var configured = floor.Scope.Pipeline;
            var context = OxContext.Current;
            var ambient = AmbientFields.Current;
            if (exception is null
                && configured is not { Processors.Length: > 0 }
                && !logger.Bound.HasDottedKeys
                && !(ambient?.HasDottedKeys ?? false))
            {
                if (pipeline is not null && evt is not null && TryWriteRecord(logger, level, evt, fields, context, ambient, pipeline))
                {
                    return;
                }

                if (TryWriteFast(logger, level, evt, fields, context, ambient, configured, pipeline, capture))
                {
                    return;
                }
            }

            WriteSlow(logger, level, exception, evt, fields, context, ambient, configured, pipeline, capture);
        }
        catch (Exception ex)
        {
            Emitter.ReportInternalError(ex);
        }
    }

    /// <summary>Encodes straight to canonical bytes; false when a field needs the slow path (nothing is emitted then).</summary>
    private static bool TryWriteFast<TFields>(
        OxLogger logger, OxLevel level, string? evt, in TFields fields, OxContext? context, FieldBindings? ambient,
        EventPipeline? configured, EventPipeline? pipeline, OxCapture? capture)
        where TFields : struct, IFieldList
    {
        var keys = configured?.Keys ?? KeyCache.Default;
        var identity = configured?.Identity ?? IdentityJson.Default;
        var now = (configured?.Time ?? TimeProvider.System).GetUtcNow().UtcTicks; // ids and timestamps both truncate to µs

        var w = Emitter.RentWriter();
        WriteHead(w, now, level, context is null ? default : context.IdJson, context is null ? LogType : context.LogTypeJson, identity);
        WriteTrace(w, context);
        if (evt is not null)
        {
            // Event names are stable literals (like keys), so their encoding is cached the same way.
            w.Raw(",\"body\":{\"event\":"u8);
            w.Raw(keys.Get(evt).QuotedString);
        }
        else
        {
            w.Raw(",\"body\":{"u8);
        }

        if (!fields.TryWrite(w, keys))
        {
            return false;
        }

        WriteBoundAndAmbient(w, keys, logger, fields, ambient);
        w.Raw("}}\n"u8);
        Emitter.Dispatch(w.WrittenSpan, pipeline, capture);
        Emitter.ReleaseWriter(w);
        return true;
    }

    /// <summary>Leaves a log record for the pipeline's writer thread to format; false when the call needs JSON now.</summary>
    private static bool TryWriteRecord<TFields>(
        OxLogger logger, OxLevel level, string evt, in TFields fields, OxContext? context, FieldBindings? ambient, EventPipeline pipeline)
        where TFields : struct, IFieldList
    {
        var now = pipeline.UtcNowTicks;
        var w = Emitter.RentWriter();
        if (!LogRecord.TryWrite(w, logger, level, evt, fields, context, ambient, pipeline.Keys, now))
        {
            return false;
        }

        pipeline.Enqueue(w.WrittenSpan);
        Emitter.ReleaseWriter(w);
        return true;
    }

    /// <summary><c>{"id":…,"type":…,"start":…,"end":…,"level":…,"host":…,"pid":…,"app":…</c>: an empty <paramref name="idJson"/> gets a new id.</summary>
    public static void WriteHead(Utf8EventWriter w, long ticks, OxLevel level, ReadOnlySpan<byte> idJson, ReadOnlySpan<byte> typeJson, IdentityJson identity)
    {
        w.Raw("{\"id\":"u8);
        if (idJson.IsEmpty)
        {
            w.NewId(ticks);
        }
        else
        {
            w.Raw(idJson);
        }

        w.Raw(",\"type\":"u8);
        w.Raw(typeJson);
        w.PointInTime(ticks);
        w.Raw(",\"level\":\""u8);
        w.Raw(OxLevels.Utf8Name(level));
        w.Byte((byte)'"');
        w.Raw(identity.Utf8);
    }

    /// <summary>The logger's bound fields, then the flow's ambient ones, each unless a nearer source set its key.</summary>
    public static void WriteBoundAndAmbient<TFields>(Utf8EventWriter w, KeyCache keys, OxLogger logger, in TFields fields, FieldBindings? ambient)
        where TFields : struct, IFieldList
    {
        var bound = logger.Bound;
        for (var i = 0; i < bound.Fields.Length; i++)
        {
            if (!fields.HasKey(bound.Fields[i].Key))
            {
                w.Raw(bound.Fragment(i, keys));
            }
        }

        if (ambient is not null)
        {
            for (var i = 0; i < ambient.Fields.Length; i++)
            {
                var key = ambient.Fields[i].Key;
                if (!fields.HasKey(key) && !bound.Contains(key))
                {
                    w.Raw(ambient.Fragment(i, keys));
                }
            }
        }
    }

    public static void WriteTrace(Utf8EventWriter w, OxContext? context)
    {
        var activity = Activity.Current;
        if (activity is not null && activity.TraceId != default)
        {
            CanonicalJson.WriteTrace(w, activity.TraceId.ToHexString(), activity.SpanId.ToHexString());
        }
        else if (context is not null)
        {
            CanonicalJson.WriteTrace(w, context.TraceId, context.SpanId);
        }
    }

    private static void WriteSlow<TFields>(
        OxLogger logger, OxLevel level, Exception? exception, string? evt, in TFields fields, OxContext? context, FieldBindings? ambient,
        EventPipeline? configured, EventPipeline? pipeline, OxCapture? capture)
        where TFields : struct, IFieldList
    {
        var body = new FieldMap();
        if (evt is not null)
        {
            body.SetRaw("event", evt);
        }

        fields.AddTo(body);

        foreach (var bound in logger.Bound.Fields)
        {
            body.SetIfAbsent(bound.Key, bound.Value);
        }

        if (ambient is not null)
        {
            foreach (var field in ambient.Fields)
            {
                body.SetIfAbsent(field.Key, field.Value);
            }
        }

        if (exception is not null)
        {
            body.SetRaw("exception", ExceptionData.Capture(exception));
        }

        var type = context is null ? "log" : context.Type + ".log";
        Emitter.Emit(Emitter.PointEvent(context?.Id, type, level, context, body, configured), pipeline, capture, configured);
    }
}
