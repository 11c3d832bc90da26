namespace Oxbow;

/// <summary>
/// One event in its object form. Its canonical encoding (see docs/event-format.md) is one UTF-8 JSON object per
/// line with the fields in this order: id, type, start, end, level, host, pid, app, trace_id, span_id, body.
/// </summary>
public sealed class OxbowEvent
{
    /// <summary>32 lowercase hex digits; sub-events share their parent's id.</summary>
    public required string Id { get; set; }

    /// <summary>Dotted type name, such as <c>request.db</c>.</summary>
    public required string Type { get; set; }

    /// <summary>When the event began (UTC, microsecond precision).</summary>
    public DateTime Start { get; set; }

    /// <summary>When the event ended (UTC, microsecond precision); equals <see cref="Start"/> for point events.</summary>
    public DateTime End { get; set; }

    /// <summary>Severity.</summary>
    public OxLevel Level { get; set; } = OxLevel.Info;

    /// <summary>Host that emitted the event.</summary>
    public string Host { get; set; } = "";

    /// <summary>Process id that emitted the event.</summary>
    public int Pid { get; set; }

    /// <summary>Service name.</summary>
    public string App { get; set; } = "";

    /// <summary>W3C trace id (32 hex digits) when known.</summary>
    public string? TraceId { get; set; }

    /// <summary>W3C span id (16 hex digits) when known.</summary>
    public string? SpanId { get; set; }

    /// <summary>The nested fields.</summary>
    public FieldMap Body { get; set; } = new();

    /// <summary>Reads a body value by dotted path, or <c>null</c> when absent.</summary>
    public object? this[string dottedKey] => Body.TryGetPath(dottedKey, out var value) ? value : null;

    /// <summary>The canonical JSON line, without the trailing newline.</summary>
    public override string ToString() => Codec.CanonicalJson.ToJson(this);
}
