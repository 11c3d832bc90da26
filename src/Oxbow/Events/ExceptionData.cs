using System.Diagnostics;

namespace Oxbow;

/// <summary>
/// Captures an exception as structured data:
/// <c>{"type", "message", "frames": [{"method", "file", "line"}], "inner": [...]}</c>.
/// <c>inner</c> lists an <see cref="AggregateException"/>'s inner exceptions, or the single
/// <see cref="Exception.InnerException"/>; it is absent when there are none.
/// </summary>
internal static class ExceptionData
{
    /// <summary>Inner exceptions deeper than this are cut off, so a cyclic or runaway chain cannot blow up an event.</summary>
    public const int MaxInnerDepth = 8;

    /// <summary>Frames kept per exception.</summary>
    public const int MaxFrames = 64;

    /// <summary>Builds the structured form of <paramref name="exception"/>.</summary>
    public static FieldMap Capture(Exception exception) => Capture(exception, 0);

    private static FieldMap Capture(Exception exception, int depth)
    {
        var map = new FieldMap();
        map.SetRaw("type", exception.GetType().FullName ?? exception.GetType().Name);
        map.SetRaw("message", exception.Message);

        var frames = new List<object?>();
        foreach (var frame in new StackTrace(exception, fNeedFileInfo: true).GetFrames().Take(MaxFrames))
        {
            var method = frame.GetMethod();
            var entry = new FieldMap();
            entry.SetRaw("method", method is null ? "?" : $"{method.DeclaringType?.FullName}.{method.Name}");
            var file = frame.GetFileName();
            if (file is not null)
            {
                entry.SetRaw("file", file);
                entry.SetRaw("line", (long)frame.GetFileLineNumber());
            }

            frames.Add(entry);
        }

        map.SetRaw("frames", frames);

        if (depth < MaxInnerDepth)
        {
            IEnumerable<Exception> inner = exception is AggregateException aggregate
                ? aggregate.InnerExceptions
                : exception.InnerException is { } single ? [single] : [];
            var list = inner.Select(e => (object?)Capture(e, depth + 1)).ToList();
            if (list.Count > 0)
            {
                map.SetRaw("inner", list);
            }
        }

        return map;
    }
}
