namespace Oxbow.Transport;

/// <summary>Constants of Oxbow's binary transport (docs/protocol.md).</summary>
internal static class Protocol
{
    /// <summary>The only protocol version this build speaks. HELLO offers a range; WELCOME picks one.</summary>
    public const byte Version = 1;

    /// <summary>Bytes in a frame header: magic (2), type, flags, payload length (u32, big-endian).</summary>
    public const int HeaderLength = 8;

    /// <summary>First header byte, <c>'O'</c>. With <see cref="Magic1"/> it catches a peer that is not speaking Oxbow.</summary>
    public const byte Magic0 = (byte)'O';

    /// <summary>Second header byte, <c>'X'</c>.</summary>
    public const byte Magic1 = (byte)'X';

    /// <summary>Bytes of a batch id.</summary>
    public const int BatchIdLength = 16;

    /// <summary>Largest payload a receiver accepts unless it advertises another limit in WELCOME: 8 MiB.</summary>
    public const int DefaultMaxFrameBytes = 8 * 1024 * 1024;

    /// <summary>The default ingest port (BlueOx's, for familiarity).</summary>
    public const int DefaultIngestPort = 3514;

    /// <summary>The default control port (HTTP: health, stats, metrics, HTTP ingest, tail).</summary>
    public const int DefaultControlPort = 3513;
}

/// <summary>What a frame carries. Any other value is a protocol error.</summary>
internal enum FrameType : byte
{
    /// <summary>Client → server, first frame: version range, token, client name.</summary>
    Hello = 1,

    /// <summary>Server → client: the chosen version, the server's frame limit and name.</summary>
    Welcome = 2,

    /// <summary>Client → server: a batch id, an event count, a CRC-32C and NDJSON events.</summary>
    Batch = 3,

    /// <summary>Server → client: the batch is durable (or was already, for a retried batch).</summary>
    Ack = 4,

    /// <summary>Server → client: the batch was not stored; a reason, whether to retry, and a message.</summary>
    Reject = 5,

    /// <summary>Server → client: a connection-level error; the server closes the connection after it.</summary>
    Error = 6,
}

/// <summary>Flags in a frame header.</summary>
[Flags]
internal enum FrameFlags : byte
{
    /// <summary>No flags.</summary>
    None = 0,

    /// <summary>The batch data is gzip-compressed.</summary>
    Gzip = 1,
}

/// <summary>Why a frame or batch was refused; sent in REJECT and ERROR frames and counted by the daemon.</summary>
internal enum RejectReason : byte
{
    /// <summary>Bad magic, a truncated frame, or a payload that does not match its frame type.</summary>
    MalformedFrame = 1,

    /// <summary>No protocol version in common.</summary>
    UnsupportedVersion = 2,

    /// <summary>Missing or unknown token, or a non-loopback client when the daemon has no token file.</summary>
    Unauthorized = 3,

    /// <summary>The token is not scoped to an event type in the batch.</summary>
    Forbidden = 4,

    /// <summary>The frame is larger than the receiver's limit.</summary>
    FrameTooLarge = 5,

    /// <summary>A frame type the receiver does not know, or one it does not expect in this state.</summary>
    UnknownFrameType = 6,

    /// <summary>The CRC-32C of the batch data does not match.</summary>
    BadChecksum = 7,

    /// <summary>The compressed data could not be decompressed.</summary>
    BadCompression = 8,

    /// <summary>An event is not a valid event: invalid UTF-8 or JSON, a bad type name, a bad timestamp. The message names the line.</summary>
    InvalidEvent = 9,

    /// <summary>The receiver's spool is full: retry later.</summary>
    Busy = 10,

    /// <summary>The receiver failed to make the batch durable: retry later.</summary>
    Internal = 11,

    /// <summary>The receiver's disk is full: retry later, once its operator has freed space.</summary>
    DiskFull = 12,
}

/// <summary>Names of <see cref="RejectReason"/> values as they appear in stats and metrics.</summary>
internal static class RejectReasons
{
    /// <summary>The snake_case name, as used in <c>/v1/stats</c> and <c>/metrics</c>.</summary>
    public static string Name(RejectReason reason) => reason switch
    {
        RejectReason.MalformedFrame => "malformed_frame",
        RejectReason.UnsupportedVersion => "unsupported_version",
        RejectReason.Unauthorized => "unauthorized",
        RejectReason.Forbidden => "forbidden",
        RejectReason.FrameTooLarge => "frame_too_large",
        RejectReason.UnknownFrameType => "unknown_frame_type",
        RejectReason.BadChecksum => "bad_checksum",
        RejectReason.BadCompression => "bad_compression",
        RejectReason.InvalidEvent => "invalid_event",
        RejectReason.Busy => "busy",
        RejectReason.Internal => "internal",
        RejectReason.DiskFull => "disk_full",
        _ => "unknown",
    };

    /// <summary>Whether a sender should retry a batch refused for this reason (the fault is not in the batch).</summary>
    public static bool IsRetryable(RejectReason reason) => reason is RejectReason.Busy or RejectReason.Internal or RejectReason.DiskFull;
}
