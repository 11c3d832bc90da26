namespace Oxbow.Transport;

/// <summary>A peer broke the protocol or sent something that cannot be accepted; <see cref="Reason"/> says how.</summary>
internal sealed class ProtocolException(RejectReason reason, string message) : Exception(message)
{
    /// <summary>The reason, as sent to the peer and counted.</summary>
    public RejectReason Reason { get; } = reason;

    /// <summary>The batch the refusal is about, when its header was readable: the REJECT then names it.</summary>
    public BatchId? Batch { get; init; }
}
