using System.Diagnostics;
using Oxbow.Codec;
using Oxbow.Pipeline;
using Oxbow.Testing;

namespace Oxbow.Logging;

/// <summary>
/// Builds log events. The fast path writes canonical JSON straight into the thread's pooled buffer: no event object,
/// no boxing, no allocation. The slow path builds an <see cref="OxbowEvent"/> when something needs one: processors,
/// an exception, or dotted keys that must nest. Both produce the same bytes for the same input.
/// </summary>
internal static class LogWriter
{
    private static ReadOnlySpan<byte> LogType => "\"log\""u8;

    public static void Write<TFields>(OxLogger logger, OxLevel level, Exception? exception, string evt, in TFields fields)
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
            if (exception is not null
                || configured is { Processors.Length: > 0 }
                || logger.Bound.HasDottedKeys
                || (ambient?.HasDottedKeys ?? false)
                || !TryWriteFast(logger, level, evt, fields, context, ambient, configured, pipeline, capture))
            {
                WriteSlow(logger, level, exception, evt, fields, context, ambient, configured, pipeline, capture);
            }
        }
        catch (Exception ex)
        {
            Emitter.ReportInternalError(ex);
        }
    }

    /// <summary>Encodes straight to canonical bytes; false when a field needs the slow path (nothing is emitted then).</summary>
    private static bool TryWriteFast<TFields>(
        OxLogger logger, OxLevel level, string evt, in TFields fields, OxContext? context, FieldBindings? ambient,
        EventPipeline? configured, EventPipeline? pipeline, OxCapture? capture)
        where TFields : struct, IFieldList
    {
        var keys = configured?.Keys ?? KeyCache.Default;
        var identity = configured?.Identity ?? IdentityJson.Default;
        var now = (configured?.Time ?? TimeProvider.System).GetUtcNow().UtcTicks; // ids and timestamps both truncate to µs

        var w = Emitter.RentWriter();
        w.Raw("{\"id\":"u8);
        if (context is null)
        {
            w.NewId(now);
        }
        else
        {
            w.Raw(context.IdJson);
        }

        w.Raw(",\"type\":"u8);
        w.Raw(context is null ? LogType : context.LogTypeJson);
        w.PointInTime(now);
        w.Raw(",\"level\":\""u8);
        w.Raw(OxLevels.Utf8Name(level));
        w.Byte((byte)'"');
        w.Raw(identity.Utf8);
        WriteTrace(w, context);
        w.Raw(",\"body\":{\"event\":"u8);

        // Event names are stable literals (like keys), so their encoding is cached the same way.
        w.Raw(keys.Get(evt).QuotedString);

        var written = default(CallSiteKeys);
        Span<string> callSite = written;
        if (!fields.TryWrite(w, keys, callSite))
        {
            return false;
        }

        callSite = callSite[..fields.Count];
        foreach (var bound in logger.Bound.Fields)
        {
            if (!Contains(callSite, bound.Key))
            {
                WriteBound(w, keys, bound);
            }
        }

        if (ambient is not null)
        {
            foreach (var field in ambient.Fields)
            {
                if (!Contains(callSite, field.Key) && !logger.Bound.Contains(field.Key))
                {
                    WriteBound(w, keys, field);
                }
            }
        }

        w.Raw("}}\n"u8);
        Emitter.Dispatch(w.WrittenSpan, pipeline, capture);
        Emitter.ReleaseWriter(w);
        return true;
    }

    private static void WriteBound(Utf8EventWriter w, KeyCache keys, BoundField field)
    {
        var entry = keys.Get(field.Key);
        w.Raw(entry.SeparatedName);
        if (entry.Redact && !Utf8EventWriter.IsEmpty(field.Value))
        {
            w.String(RedactionPolicy.Replacement);
        }
        else
        {
            w.Object(field.Value, keys, 1);
        }
    }

    private static bool Contains(ReadOnlySpan<string> keys, string key)
    {
        foreach (var candidate in keys)
        {
            if (ReferenceEquals(candidate, key) || candidate == key)
            {
                return true;
            }
        }

        return false;
    }

    private static void WriteTrace(Utf8EventWriter w, OxContext? context)
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
        OxLogger logger, OxLevel level, Exception? exception, string evt, in TFields fields, OxContext? context, FieldBindings? ambient,
        EventPipeline? configured, EventPipeline? pipeline, OxCapture? capture)
        where TFields : struct, IFieldList
    {
        var body = new FieldMap();
        body.SetRaw("event", evt);
        for (var i = 0; i < fields.Count; i++)
        {
            body.Set(fields.KeyAt(i), fields.ValueAt(i));
        }

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
