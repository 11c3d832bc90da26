using Oxbow.Daemon.Tests.Support;
using Oxbow.Transport;

namespace Oxbow.Daemon.Tests;

public sealed class FuzzTests
{
    [Fact]
    public async Task Ten_thousand_random_and_mutated_frames_leave_the_daemon_serving_valid_traffic()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"), "--max-batch-bytes", "65536");
        await collector.StartAsync();
        var random = new Random(20261122);
        var hello = Frames.Hello(new HelloMessage(1, 1, "", "fuzz"));
        var valid = Frames.Batch(BatchId.New(), 2, StoredEvents.Events(0, 2));

        // Bounded: 10,000 frames over short connections, each frame a random blob or a valid frame with damage.
        long refusalsReceived = 0;
        for (var i = 0; i < 10_000; i += 50)
        {
            var bytes = new MemoryStream();
            if (random.Next(4) != 0)
            {
                bytes.Write(hello);
            }

            for (var j = 0; j < 50; j++)
            {
                bytes.Write(Mutate(random, valid));
            }

            // The daemon answers and closes; it must never hang on us, and it lingers after an ERROR so that the frame
            // reaches us rather than being lost to a reset.
            var answer = RawConnection.Frames(await RawConnection.ExchangeAsync(collector.IngestPort, bytes.ToArray()));
            refusalsReceived += answer.Count(f => f.Type is FrameType.Reject or FrameType.Error);
        }

        Assert.Null(collector.ExitCode);
        await using var sender = new BatchSender(new BatchSenderOptions { Endpoints = [collector.Ingest] });
        var outcome = await sender.SendAsync(new OutgoingBatch(BatchId.New(), 100, StoredEvents.Events(0, 100, "after_fuzz")));
        Assert.True(outcome.Acknowledged);
        var stats = await collector.StatsAsync();
        Assert.Equal(100, stats.GetProperty("types").GetProperty("after_fuzz").GetProperty("events").GetInt64());
        var rejects = stats.GetProperty("rejects");
        Assert.True(rejects.GetProperty("malformed_frame").GetInt64() > 0);
        // Every refusal was both told to its sender and counted: exactly as many REJECT and ERROR frames arrived as
        // the daemon counted.
        Assert.True(refusalsReceived > 0);
        Assert.Equal(refusalsReceived, rejects.EnumerateObject().Sum(p => p.Value.GetInt64()));
    }

    private static byte[] Mutate(Random random, byte[] valid)
    {
        switch (random.Next(6))
        {
            case 0:
                var noise = new byte[random.Next(1, 600)];
                random.NextBytes(noise);
                return noise;
            case 1:
                return valid[..random.Next(1, valid.Length)]; // truncated
            case 2:
                var flipped = (byte[])valid.Clone();
                for (var k = random.Next(1, 8); k > 0; k--)
                {
                    flipped[random.Next(flipped.Length)] ^= (byte)(1 << random.Next(8));
                }

                return flipped;
            case 3:
                var oversized = (byte[])valid.Clone();
                oversized[4] = 0x7F; // a length far over the limit
                return oversized;
            case 4:
                var unknown = (byte[])valid.Clone();
                unknown[2] = (byte)random.Next(7, 256);
                return unknown;
            default:
                return valid;
        }
    }
}
