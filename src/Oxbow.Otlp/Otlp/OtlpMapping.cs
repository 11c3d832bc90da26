namespace Oxbow.Otlp.Otlp;

/// <summary>How OTLP records become events. Every default is what docs/event-format.md ("OTLP") documents.</summary>
internal sealed record OtlpMapping
{
    /// <summary>The type of a log record without a valid <c>event.name</c>. Default <c>otel.log</c>.</summary>
    public string LogType { get; init; } = "otel.log";

    /// <summary>The type of a span. Default <c>span</c>.</summary>
    public string SpanType { get; init; } = "span";

    /// <summary>A record whose event is larger than this (bytes) is rejected alone (OTLP's partial success). Default 1 MiB.</summary>
    public int MaxEventBytes { get; init; } = 1 << 20;
}

/// <summary>What one OTLP request became: the event lines, how many records, and those refused with why.</summary>
/// <param name="Lines">NDJSON, one event a line.</param>
/// <param name="Events">Lines written.</param>
/// <param name="Rejected">Records refused alone (too large).</param>
/// <param name="RejectedReason">The first refusal's reason, for OTLP's partial-success message.</param>
internal readonly record struct OtlpEvents(ReadOnlyMemory<byte> Lines, int Events, int Rejected, string? RejectedReason);
