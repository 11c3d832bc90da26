using Oxbow.Codec;

namespace Oxbow.Pipeline;

/// <summary>
/// The <c>oxbow.dropped</c> event: how many events were lost, by reason, and when (<c>start</c> is the first loss
/// since the last report, <c>end</c> when the queue had room again and the report was written). The writer puts it into the stream as soon as the queue has room
/// again, so a gap is visible where people look (a query, a dashboard, the console), not only in a counter.
/// </summary>
/// <remarks>
/// It goes to the sinks directly, never through the queue, so it cannot itself be dropped; it is not counted as
/// enqueued or written, which stay the application's events.
/// </remarks>
internal static class DropReport
{
    public const string Type = "oxbow.dropped";

    public static void Write(Utf8EventWriter w, IdentityJson identity, long queueFull, long oversized, DateTimeOffset first, DateTimeOffset now)
    {
        var total = queueFull + oversized;
        w.Raw("{\"id\":"u8);
        w.NewId(now.UtcTicks);
        w.Raw(",\"type\":\"oxbow.dropped\",\"start\":"u8);
        w.Timestamp(first.UtcTicks);
        w.Raw(",\"end\":"u8);
        w.Timestamp(now.UtcTicks);
        w.Raw(",\"level\":\"warning\""u8);
        w.Raw(identity.Utf8);
        w.Raw(",\"body\":{\"message\":"u8);
        w.String($"Oxbow dropped {total} event{(total == 1 ? "" : "s")}: {queueFull} with the queue full, {oversized} over the size limit");
        w.Raw(",\"dropped\":"u8);
        w.Int64(total);
        w.Raw(",\"queue_full\":"u8);
        w.Int64(queueFull);
        w.Raw(",\"oversized\":"u8);
        w.Int64(oversized);
        w.Raw("}}\n"u8);
    }
}
