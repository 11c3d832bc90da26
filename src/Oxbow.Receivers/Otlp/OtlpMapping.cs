namespace Oxbow.Receivers.Otlp;

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
