using System.Buffers;
using System.Buffers.Binary;
using Oxbow.Daemon.Tests.Support;
using Oxbow.Transport;

namespace Oxbow.Daemon.Tests;

public sealed class BadInputTests
{
    private const string Token = "t0ken-for-bad-input";

    [Fact]
    public async Task Each_kind_of_bad_input_over_tcp_gets_its_reason_back_and_its_counter_while_another_connection_carries_on()
    {
        using var dir = new TempDirectory();
        var tokens = dir.Sub("tokens");
        await File.WriteAllTextAsync(tokens, $"admin {Token}\n");
        await using var collector = new DaemonProcess(dir.Sub("data"), "--token-file", tokens, "--max-batch-bytes", "65536");
        await collector.StartAsync();
        var hello = Frames.Hello(new HelloMessage(Protocol.Version, Protocol.Version, Token, "bad-input"));

        // A well-behaved connection open the whole time.
        await using var good = new BatchSender(new BatchSenderOptions { Endpoints = [collector.Ingest], Token = Token });
        Assert.True((await good.SendAsync(new OutgoingBatch(BatchId.New(), 10, StoredEvents.Events(0, 10)))).Acknowledged);

        // Connection-level problems: one ERROR naming the problem, then the daemon closes this connection.
        var random = new byte[300];
        new Random(7).NextBytes(random);
        random[0] = (byte)'{'; // not the 'O' 'X' magic
        AssertError(await ExchangeAsync(collector, random), RejectReason.MalformedFrame, "not an Oxbow frame (bad magic)");

        var batch = Frames.Batch(BatchId.New(), 2, StoredEvents.Events(0, 2));
        AssertError(await ExchangeAsync(collector, [.. hello, .. batch[..(batch.Length / 2)]]), RejectReason.MalformedFrame, "connection closed inside a frame");

        AssertError(await ExchangeAsync(collector, Frames.Hello(new HelloMessage(7, 9, Token, "future"))), RejectReason.UnsupportedVersion, "this server speaks 1");

        var oversized = (byte[])batch.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(oversized.AsSpan(4), 65536 + 1);
        AssertError(await ExchangeAsync(collector, [.. hello, .. oversized]), RejectReason.FrameTooLarge, "65536");

        var unknownFrame = (byte[])batch.Clone();
        unknownFrame[2] = 42;
        AssertError(await ExchangeAsync(collector, [.. hello, .. unknownFrame]), RejectReason.UnknownFrameType, "42");

        AssertError(await ExchangeAsync(collector, Frames.Hello(new HelloMessage(Protocol.Version, Protocol.Version, "wrong", "intruder"))), RejectReason.Unauthorized, "token");

        // Batch-level problems: a REJECT naming the line, and the same connection goes on to store a good batch.
        var line = "{\"type\":\"ok\",\"end\":\"2026-11-22T05:00:00Z\"}\n"u8.ToArray();
        byte[] invalidUtf8 = [.. line, .. "{\"type\":\"ok\",\"msg\":\""u8.ToArray(), 0xFF, 0xFE, .. "\"}\n"u8.ToArray()];
        AssertRejectThenAck(await ExchangeAsync(collector, [.. hello, .. Frames.Batch(BatchId.New(), 2, invalidUtf8), .. Frames.Batch(BatchId.New(), 1, line)]),
            "line 2: not valid UTF-8");
        AssertRejectThenAck(await ExchangeAsync(collector, [.. hello, .. Frames.Batch(BatchId.New(), 2, [.. line, .. "{\"type\":\"ok\",\n"u8]), .. Frames.Batch(BatchId.New(), 1, line)]),
            "line 2: invalid JSON");
        AssertRejectThenAck(await ExchangeAsync(collector, [.. hello, .. Frames.Batch(BatchId.New(), 1, "{\"type\":\"Bad/Type\"}\n"u8), .. Frames.Batch(BatchId.New(), 1, line)]),
            "line 1: type \"Bad/Type\" is not a valid type name");

        var rejects = (await collector.StatsAsync()).GetProperty("rejects");
        Assert.Equal(2, rejects.GetProperty("malformed_frame").GetInt64());
        Assert.Equal(1, rejects.GetProperty("unsupported_version").GetInt64());
        Assert.Equal(1, rejects.GetProperty("frame_too_large").GetInt64());
        Assert.Equal(1, rejects.GetProperty("unknown_frame_type").GetInt64());
        Assert.Equal(1, rejects.GetProperty("unauthorized").GetInt64());
        Assert.Equal(3, rejects.GetProperty("invalid_event").GetInt64());

        Assert.True((await good.SendAsync(new OutgoingBatch(BatchId.New(), 10, StoredEvents.Events(10, 20)))).Acknowledged);
        Assert.Equal(1, good.Status.Connects); // never disturbed
        await collector.WaitForStatAsync(23, "store", "events");
    }

    [Fact]
    public async Task Batch_refusals_name_the_batch_and_a_count_that_does_not_match_the_lines_is_refused()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"));
        await collector.StartAsync();
        var hello = Frames.Hello(new HelloMessage(Protocol.Version, Protocol.Version, "", "replies"));
        var line = "{\"type\":\"ok\",\"end\":\"2026-11-22T05:00:00Z\"}\n"u8.ToArray();

        // A bad checksum with a readable header: the REJECT carries the batch's own id, not zeros.
        var badCrcId = BatchId.New();
        var badCrc = Frames.Batch(badCrcId, 1, line);
        badCrc[^2] ^= 0x20;
        var countId = BatchId.New();
        var replies = await ExchangeAsync(collector, [.. hello, .. badCrc, .. Frames.Batch(countId, 3, [.. line, .. line]), .. Frames.Batch(BatchId.New(), 1, line)]);
        Assert.Equal([FrameType.Welcome, FrameType.Reject, FrameType.Reject, FrameType.Ack], replies.Select(r => r.Type));
        var crcReject = Frames.ParseReject(replies[1].Payload);
        Assert.Equal((badCrcId, RejectReason.BadChecksum), (crcReject.BatchId, crcReject.Reason));

        // A declared count that differs from the lines is refused whole, naming both numbers.
        var countReject = Frames.ParseReject(replies[2].Payload);
        Assert.Equal((countId, RejectReason.MalformedFrame), (countReject.BatchId, countReject.Reason));
        Assert.Equal($"BATCH {countId} declares 3 events but holds 2", countReject.Message);

        // A negative frame length is called negative, not a huge unsigned number.
        var negative = Frames.Batch(BatchId.New(), 1, line);
        BinaryPrimitives.WriteInt32BigEndian(negative.AsSpan(4), -5);
        AssertError(await ExchangeAsync(collector, [.. hello, .. negative]), RejectReason.MalformedFrame, "frame length -5 is negative");
        await collector.WaitForStatAsync(1, "store", "events");
    }

    [Fact]
    public async Task A_lone_surrogate_escape_is_refused_with_a_reason_and_the_connection_goes_on()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"));
        await collector.StartAsync();
        var hello = Frames.Hello(new HelloMessage(Protocol.Version, Protocol.Version, "", "surrogates"));
        var good = "{\"type\":\"ok\",\"v\":\"\\ud83d\\ude00 \\\\ud800\"}\n"u8.ToArray(); // a real pair, and an escaped backslash
        AssertRejectThenAck(await ExchangeAsync(collector, [.. hello, .. Frames.Batch(BatchId.New(), 1, "{\"type\":\"x\",\"v\":\"\\ud800\"}\n"u8), .. Frames.Batch(BatchId.New(), 1, good)]),
            "line 1: invalid Unicode: the escape \\ud800 at byte 17 is half of a surrogate pair");
        AssertRejectThenAck(await ExchangeAsync(collector, [.. hello, .. Frames.Batch(BatchId.New(), 1, "{\"type\":\"x\",\"\\udc00\":1}\n"u8), .. Frames.Batch(BatchId.New(), 1, good)]),
            "line 1: invalid Unicode: the escape \\udc00 at byte 13 is half of a surrogate pair");

        using var response = await collector.Http.PostAsync("v1/events", new StringContent("{\"type\":\"x\",\"v\":\"\\ud800\"}\n"));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("invalid Unicode", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(3, (await collector.StatsAsync()).GetProperty("rejects").GetProperty("invalid_event").GetInt64());
        var stored = await StoredEvents.StoredAsync(collector.DataDirectory, 2, () => collector.Output);
        Assert.All(stored, e => Assert.Equal("\U0001F600 \\ud800", e.GetProperty("body").GetProperty("v").GetString()));

        // A sender is told once and gives the batch up (the fault is in the batch), rather than resending it for ever.
        await using var sender = new BatchSender(new BatchSenderOptions { Endpoints = [collector.Ingest], MinBackoff = TimeSpan.FromMilliseconds(10) });
        var outcome = await sender.SendAsync(new OutgoingBatch(BatchId.New(), 1, "{\"type\":\"x\",\"v\":\"\\ud800\"}\n"u8.ToArray())).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.False(outcome.Acknowledged);
        Assert.Equal(RejectReason.InvalidEvent, outcome.Rejection!.Reason);
        Assert.False(outcome.Rejection.Retryable);
        Assert.Equal(4, (await collector.StatsAsync()).GetProperty("rejects").GetProperty("invalid_event").GetInt64());
    }

    private static void AssertError(List<(FrameType Type, ReadOnlySequence<byte> Payload)> replies, RejectReason reason, string text)
    {
        var error = Frames.ParseError(Assert.Single(replies, r => r.Type == FrameType.Error).Payload);
        Assert.Equal(reason, error.Reason);
        Assert.Contains(text, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(replies, r => r.Type is FrameType.Ack or FrameType.Reject);
    }

    private static void AssertRejectThenAck(List<(FrameType Type, ReadOnlySequence<byte> Payload)> replies, string text)
    {
        Assert.Equal([FrameType.Welcome, FrameType.Reject, FrameType.Ack], replies.Select(r => r.Type));
        var reject = Frames.ParseReject(replies[1].Payload);
        Assert.Equal(RejectReason.InvalidEvent, reject.Reason);
        Assert.StartsWith(text, reject.Message, StringComparison.Ordinal);
        Assert.Equal(1, Frames.ParseAck(replies[2].Payload).EventCount);
    }

    private static async Task<List<(FrameType Type, ReadOnlySequence<byte> Payload)>> ExchangeAsync(DaemonProcess daemon, byte[] bytes) =>
        RawConnection.Frames(await RawConnection.ExchangeAsync(daemon.IngestPort, bytes));
}
