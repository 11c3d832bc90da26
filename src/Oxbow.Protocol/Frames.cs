using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Oxbow.Transport;

/// <summary>A decoded frame header.</summary>
internal readonly record struct FrameHeader(FrameType Type, FrameFlags Flags, int PayloadLength);

/// <summary>HELLO: the version range a client speaks, its token (empty for none) and a name for stats.</summary>
internal sealed record HelloMessage(byte MinVersion, byte MaxVersion, string Token, string ClientName);

/// <summary>WELCOME: the version chosen, the largest payload the server accepts, and its name.</summary>
internal sealed record WelcomeMessage(byte Version, int MaxFrameBytes, string ServerName);

/// <summary>ACK: the batch is durable. <see cref="Duplicate"/> is true when it was already stored by an earlier try.</summary>
internal readonly record struct AckMessage(BatchId BatchId, int EventCount, bool Duplicate);

/// <summary>REJECT: the batch was not stored.</summary>
internal sealed record RejectMessage(BatchId BatchId, RejectReason Reason, string Message)
{
    /// <summary>Whether sending the same batch again may succeed.</summary>
    public bool Retryable => RejectReasons.IsRetryable(Reason);
}

/// <summary>ERROR: the connection is over.</summary>
internal sealed record ErrorMessage(RejectReason Reason, string Message);

/// <summary>Encodes and decodes frames (docs/protocol.md). Every integer is big-endian.</summary>
internal static class Frames
{
    /// <summary>Bytes before the events in a BATCH payload: batch id, event count, CRC-32C.</summary>
    public const int BatchPrefixLength = Protocol.BatchIdLength + 8;

    private const int MaxTextBytes = 1024;

    /// <summary>Writes an 8-byte header.</summary>
    public static void WriteHeader(Span<byte> destination, FrameType type, FrameFlags flags, int payloadLength)
    {
        destination[0] = Protocol.Magic0;
        destination[1] = Protocol.Magic1;
        destination[2] = (byte)type;
        destination[3] = (byte)flags;
        BinaryPrimitives.WriteInt32BigEndian(destination[4..], payloadLength);
    }

    /// <summary>
    /// Takes one whole frame off the front of <paramref name="buffer"/>, or returns false when more bytes are needed.
    /// </summary>
    /// <exception cref="ProtocolException">Bad magic, an unknown frame type, or a payload over <paramref name="maxPayload"/>.</exception>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, int maxPayload, out FrameHeader header, out ReadOnlySequence<byte> payload)
    {
        header = default;
        payload = default;
        if (buffer.Length < Protocol.HeaderLength)
        {
            // Reject garbage as soon as the first bytes show it, rather than waiting for a full header.
            if (buffer.Length > 0 && buffer.FirstSpan[0] != Protocol.Magic0)
            {
                throw new ProtocolException(RejectReason.MalformedFrame, "not an Oxbow frame (bad magic)");
            }

            return false;
        }

        Span<byte> bytes = stackalloc byte[Protocol.HeaderLength];
        buffer.Slice(0, Protocol.HeaderLength).CopyTo(bytes);
        header = ParseHeader(bytes, maxPayload);
        if (buffer.Length - Protocol.HeaderLength < header.PayloadLength)
        {
            return false;
        }

        payload = buffer.Slice(Protocol.HeaderLength, header.PayloadLength);
        buffer = buffer.Slice(payload.End);
        return true;
    }

    /// <summary>Decodes and checks a header.</summary>
    /// <exception cref="ProtocolException">The header is not valid.</exception>
    public static FrameHeader ParseHeader(ReadOnlySpan<byte> bytes, int maxPayload)
    {
        if (bytes[0] != Protocol.Magic0 || bytes[1] != Protocol.Magic1)
        {
            throw new ProtocolException(RejectReason.MalformedFrame, "not an Oxbow frame (bad magic)");
        }

        var type = (FrameType)bytes[2];
        if (type is < FrameType.Hello or > FrameType.Error)
        {
            throw new ProtocolException(RejectReason.UnknownFrameType, $"unknown frame type {bytes[2]}");
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(bytes[4..]);
        if (length < 0)
        {
            throw new ProtocolException(RejectReason.MalformedFrame, $"frame length {length} is negative");
        }

        if (length > maxPayload)
        {
            throw new ProtocolException(RejectReason.FrameTooLarge,
                $"frame of {length} bytes is over the limit of {maxPayload} bytes");
        }

        return new FrameHeader(type, (FrameFlags)bytes[3], length);
    }

    /// <summary>A whole HELLO frame.</summary>
    public static byte[] Hello(HelloMessage hello)
    {
        var token = Encoding.UTF8.GetBytes(hello.Token);
        var name = Encoding.UTF8.GetBytes(hello.ClientName);
        var frame = new FrameBuilder(FrameType.Hello, 6 + token.Length + name.Length);
        frame.Byte(hello.MinVersion).Byte(hello.MaxVersion).Text(token).Text(name);
        return frame.ToArray();
    }

    /// <summary>Decodes a HELLO payload.</summary>
    public static HelloMessage ParseHello(ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, FrameType.Hello);
        var min = reader.Byte();
        var max = reader.Byte();
        var token = reader.Text();
        var name = reader.Text();
        reader.End();
        return new HelloMessage(min, max, token, name);
    }

    /// <summary>A whole WELCOME frame.</summary>
    public static byte[] Welcome(WelcomeMessage welcome)
    {
        var name = Encoding.UTF8.GetBytes(welcome.ServerName);
        var frame = new FrameBuilder(FrameType.Welcome, 7 + name.Length);
        frame.Byte(welcome.Version).Int32(welcome.MaxFrameBytes).Text(name);
        return frame.ToArray();
    }

    /// <summary>Decodes a WELCOME payload.</summary>
    public static WelcomeMessage ParseWelcome(ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, FrameType.Welcome);
        var version = reader.Byte();
        var max = reader.Int32();
        var name = reader.Text();
        reader.End();
        return new WelcomeMessage(version, max, name);
    }

    /// <summary>
    /// Writes the header and prefix of a BATCH frame into the first <see cref="Protocol.HeaderLength"/> +
    /// <see cref="BatchPrefixLength"/> bytes of <paramref name="frame"/>, whose remainder already holds the data.
    /// </summary>
    public static void WriteBatchPrefix(Span<byte> frame, BatchId id, int eventCount, FrameFlags flags)
    {
        var data = frame[(Protocol.HeaderLength + BatchPrefixLength)..];
        WriteHeader(frame, FrameType.Batch, flags, BatchPrefixLength + data.Length);
        var prefix = frame[Protocol.HeaderLength..];
        id.Write(prefix);
        BinaryPrimitives.WriteInt32BigEndian(prefix[16..], eventCount);
        BinaryPrimitives.WriteUInt32BigEndian(prefix[20..], Crc32C.Compute(data));
    }

    /// <summary>A whole BATCH frame around NDJSON <paramref name="data"/> (already compressed when <paramref name="flags"/> says so).</summary>
    public static byte[] Batch(BatchId id, int eventCount, ReadOnlySpan<byte> data, FrameFlags flags = FrameFlags.None)
    {
        var frame = new byte[Protocol.HeaderLength + BatchPrefixLength + data.Length];
        data.CopyTo(frame.AsSpan(Protocol.HeaderLength + BatchPrefixLength));
        WriteBatchPrefix(frame, id, eventCount, flags);
        return frame;
    }

    /// <summary>Decodes a BATCH prefix and checks the data's CRC-32C.</summary>
    /// <exception cref="ProtocolException">Too short, a negative count, or a checksum mismatch.</exception>
    public static (BatchId Id, int EventCount, ReadOnlySequence<byte> Data) ParseBatch(ReadOnlySequence<byte> payload)
    {
        if (payload.Length < BatchPrefixLength)
        {
            throw new ProtocolException(RejectReason.MalformedFrame, $"BATCH payload of {payload.Length} bytes is shorter than its {BatchPrefixLength}-byte prefix");
        }

        Span<byte> prefix = stackalloc byte[BatchPrefixLength];
        payload.Slice(0, BatchPrefixLength).CopyTo(prefix);
        var id = BatchId.Read(prefix);
        var count = BinaryPrimitives.ReadInt32BigEndian(prefix[16..]);
        var crc = BinaryPrimitives.ReadUInt32BigEndian(prefix[20..]);
        var data = payload.Slice(BatchPrefixLength);
        if (count < 0)
        {
            throw new ProtocolException(RejectReason.MalformedFrame, $"BATCH {id} has a negative event count ({count})") { Batch = id };
        }

        var actual = 0u;
        foreach (var segment in data)
        {
            actual = Crc32C.Append(actual, segment.Span);
        }

        if (actual != crc)
        {
            throw new ProtocolException(RejectReason.BadChecksum, $"BATCH {id}: CRC-32C is {actual:x8}, the frame says {crc:x8}") { Batch = id };
        }

        return (id, count, data);
    }

    /// <summary>A whole ACK frame.</summary>
    public static byte[] Ack(AckMessage ack)
    {
        var frame = new FrameBuilder(FrameType.Ack, 21);
        frame.Id(ack.BatchId).Int32(ack.EventCount).Byte(ack.Duplicate ? (byte)1 : (byte)0);
        return frame.ToArray();
    }

    /// <summary>Decodes an ACK payload.</summary>
    public static AckMessage ParseAck(ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, FrameType.Ack);
        var id = reader.Id();
        var count = reader.Int32();
        var duplicate = reader.Byte() != 0;
        reader.End();
        return new AckMessage(id, count, duplicate);
    }

    /// <summary>A whole REJECT frame.</summary>
    public static byte[] Reject(RejectMessage reject)
    {
        var message = Truncated(reject.Message);
        var frame = new FrameBuilder(FrameType.Reject, 19 + message.Length);
        frame.Id(reject.BatchId).Byte((byte)reject.Reason).Text(message);
        return frame.ToArray();
    }

    /// <summary>Decodes a REJECT payload.</summary>
    public static RejectMessage ParseReject(ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, FrameType.Reject);
        var id = reader.Id();
        var reason = (RejectReason)reader.Byte();
        var message = reader.Text();
        reader.End();
        return new RejectMessage(id, reason, message);
    }

    /// <summary>A whole ERROR frame.</summary>
    public static byte[] Error(ErrorMessage error)
    {
        var message = Truncated(error.Message);
        var frame = new FrameBuilder(FrameType.Error, 3 + message.Length);
        frame.Byte((byte)error.Reason).Text(message);
        return frame.ToArray();
    }

    /// <summary>Decodes an ERROR payload.</summary>
    public static ErrorMessage ParseError(ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, FrameType.Error);
        var reason = (RejectReason)reader.Byte();
        var message = reader.Text();
        reader.End();
        return new ErrorMessage(reason, message);
    }

    private static byte[] Truncated(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return bytes.Length <= MaxTextBytes ? bytes : Encoding.UTF8.GetBytes(text[..Math.Min(text.Length, MaxTextBytes / 4)]);
    }

    private sealed class FrameBuilder
    {
        private readonly byte[] _frame;
        private int _position = Protocol.HeaderLength;

        public FrameBuilder(FrameType type, int payloadLength)
        {
            _frame = new byte[Protocol.HeaderLength + payloadLength];
            WriteHeader(_frame, type, FrameFlags.None, payloadLength);
        }

        public FrameBuilder Byte(byte value)
        {
            _frame[_position++] = value;
            return this;
        }

        public FrameBuilder Int32(int value)
        {
            BinaryPrimitives.WriteInt32BigEndian(_frame.AsSpan(_position), value);
            _position += 4;
            return this;
        }

        public FrameBuilder Id(BatchId id)
        {
            id.Write(_frame.AsSpan(_position));
            _position += Protocol.BatchIdLength;
            return this;
        }

        public FrameBuilder Text(byte[] utf8)
        {
            BinaryPrimitives.WriteUInt16BigEndian(_frame.AsSpan(_position), (ushort)utf8.Length);
            utf8.CopyTo(_frame, _position + 2);
            _position += 2 + utf8.Length;
            return this;
        }

        public byte[] ToArray() => _frame;
    }

    private ref struct PayloadReader
    {
        private readonly FrameType _type;
        private SequenceReader<byte> _reader;

        public PayloadReader(ReadOnlySequence<byte> payload, FrameType type)
        {
            _reader = new SequenceReader<byte>(payload);
            _type = type;
        }

        public byte Byte() => _reader.TryRead(out var value) ? value : throw Short();

        public int Int32() => _reader.TryReadBigEndian(out int value) ? value : throw Short();

        public BatchId Id()
        {
            Span<byte> bytes = stackalloc byte[Protocol.BatchIdLength];
            if (!_reader.TryCopyTo(bytes))
            {
                throw Short();
            }

            _reader.Advance(Protocol.BatchIdLength);
            return BatchId.Read(bytes);
        }

        public string Text()
        {
            if (!_reader.TryReadBigEndian(out short length) || _reader.Remaining < (ushort)length)
            {
                throw Short();
            }

            var slice = _reader.UnreadSequence.Slice(0, (ushort)length);
            _reader.Advance((ushort)length);
            try
            {
                return Utf8Strict.GetString(slice.IsSingleSegment ? slice.FirstSpan : slice.ToArray());
            }
            catch (DecoderFallbackException)
            {
                throw new ProtocolException(RejectReason.MalformedFrame, $"{_type} frame holds text that is not valid UTF-8");
            }
        }

        public readonly void End()
        {
            if (!_reader.End)
            {
                throw new ProtocolException(RejectReason.MalformedFrame, $"{_type} frame has {_reader.Remaining} bytes too many");
            }
        }

        private readonly ProtocolException Short() =>
            new(RejectReason.MalformedFrame, $"{_type} frame is truncated");
    }

    private static readonly UTF8Encoding Utf8Strict = new(false, true);
}
