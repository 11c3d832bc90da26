using System.Buffers;
using Oxbow.Transport;

namespace Oxbow.Daemon.Tests;

public sealed class ProtocolTests
{
    [Fact]
    public void Every_frame_round_trips()
    {
        var id = BatchId.New();
        Assert.Equal(new HelloMessage(1, 2, "t", "app@h"), Frames.ParseHello(Payload(Frames.Hello(new HelloMessage(1, 2, "t", "app@h")), FrameType.Hello)));
        Assert.Equal(new WelcomeMessage(1, 4096, "srv"), Frames.ParseWelcome(Payload(Frames.Welcome(new WelcomeMessage(1, 4096, "srv")), FrameType.Welcome)));
        Assert.Equal(new AckMessage(id, 7, true), Frames.ParseAck(Payload(Frames.Ack(new AckMessage(id, 7, true)), FrameType.Ack)));
        Assert.Equal(new RejectMessage(id, RejectReason.Busy, "later"), Frames.ParseReject(Payload(Frames.Reject(new RejectMessage(id, RejectReason.Busy, "later")), FrameType.Reject)));
        Assert.Equal(new ErrorMessage(RejectReason.Unauthorized, "no"), Frames.ParseError(Payload(Frames.Error(new ErrorMessage(RejectReason.Unauthorized, "no")), FrameType.Error)));
        var (batchId, count, data) = Frames.ParseBatch(Payload(Frames.Batch(id, 2, "a\nb\n"u8), FrameType.Batch));
        Assert.Equal(id, batchId);
        Assert.Equal(2, count);
        Assert.Equal("a\nb\n"u8.ToArray(), data.ToArray());
    }

    [Fact]
    public void Bad_magic_unknown_types_oversized_frames_and_bad_checksums_are_named()
    {
        var frame = Frames.Batch(BatchId.New(), 1, "x\n"u8);
        Assert.Equal(RejectReason.MalformedFrame, Read([(byte)'G', (byte)'E', (byte)'T', (byte)' ']).Reason);
        var unknown = (byte[])frame.Clone();
        unknown[2] = 99;
        Assert.Equal("unknown frame type 99", Read(unknown).Message);
        var huge = (byte[])frame.Clone();
        huge[4] = 0x7F;
        Assert.Equal(RejectReason.FrameTooLarge, Read(huge).Reason);
        var damaged = (byte[])frame.Clone();
        damaged[^1] ^= 1;
        var error = Assert.Throws<ProtocolException>(() => Frames.ParseBatch(Payload(damaged, FrameType.Batch)));
        Assert.Equal(RejectReason.BadChecksum, error.Reason);
        Assert.Equal(RejectReason.MalformedFrame, Assert.Throws<ProtocolException>(() => Frames.ParseHello(new ReadOnlySequence<byte>([1]))).Reason);
    }

    [Fact]
    public void A_partial_frame_waits_for_more_bytes()
    {
        var frame = Frames.Batch(BatchId.New(), 1, "x\n"u8);
        var partial = new ReadOnlySequence<byte>(frame[..^1]);
        Assert.False(Frames.TryRead(ref partial, 1024, out _, out _));
        Assert.Equal(frame.Length - 1, partial.Length);
    }

    [Fact]
    public void Crc32c_matches_the_standard_check_value()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(Crc32C.Compute("123456789"u8), Crc32C.Append(Crc32C.Compute("1234"u8), "56789"u8));
    }

    private static ReadOnlySequence<byte> Payload(byte[] frame, FrameType expected)
    {
        var buffer = new ReadOnlySequence<byte>(frame);
        Assert.True(Frames.TryRead(ref buffer, 1 << 20, out var header, out var payload));
        Assert.Equal(expected, header.Type);
        Assert.True(buffer.IsEmpty);
        return payload;
    }

    private static ProtocolException Read(byte[] bytes) => Assert.Throws<ProtocolException>(() =>
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        Frames.TryRead(ref buffer, 1024, out _, out _);
    });
}
