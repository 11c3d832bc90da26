using System.Net.Sockets;
using Oxbow.Daemon.Tests.Support;
using Oxbow.Transport;

namespace Oxbow.Daemon.Tests;

/// <summary>Connections are bounded: a cap per listener, idle and frame timeouts, a shared budget for partial frames.</summary>
public sealed class ConnectionBoundTests
{
    private static readonly byte[] Hello = Frames.Hello(new HelloMessage(Protocol.Version, Protocol.Version, "", "bounds"));

    /// <summary>A connection that has sent <paramref name="bytes"/> and keeps its side open.</summary>
    private static async Task<TcpClient> OpenAsync(DaemonProcess daemon, byte[] bytes, int? port = null)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync("127.0.0.1", port ?? daemon.IngestPort);
        await client.GetStream().WriteAsync(bytes);
        return client;
    }

    /// <summary>Everything the daemon sends until it closes the connection (or 90 s pass, which fails the test).</summary>
    private static async Task<List<(FrameType Type, System.Buffers.ReadOnlySequence<byte> Payload)>> UntilClosedAsync(TcpClient client)
    {
        var received = new MemoryStream();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            int read;
            while ((read = await client.GetStream().ReadAsync(buffer, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
        }

        return RawConnection.Frames(received.ToArray());
    }

    private static ErrorMessage LastError(List<(FrameType Type, System.Buffers.ReadOnlySequence<byte> Payload)> frames)
    {
        var error = frames.LastOrDefault(f => f.Type == FrameType.Error);
        Assert.Equal(FrameType.Error, error.Type);
        return Frames.ParseError(error.Payload);
    }

    [Fact]
    public async Task A_connection_idle_after_hello_is_closed_and_a_frame_trickling_in_is_ended_at_the_frame_timeout()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"), "--idle-timeout", "2", "--frame-timeout", "2");
        await collector.StartAsync();

        using (var idle = await OpenAsync(collector, Hello))
        {
            var frames = await UntilClosedAsync(idle);
            Assert.Equal([FrameType.Welcome], frames.Select(f => f.Type));
        }

        var batch = Frames.Batch(BatchId.New(), 2, StoredEvents.Events(0, 2));
        using (var slow = await OpenAsync(collector, [.. Hello, .. batch[..^1]]))
        {
            var error = LastError(await UntilClosedAsync(slow));
            Assert.Equal(RejectReason.MalformedFrame, error.Reason);
            Assert.Equal("a frame was begun and not completed within 2 s", error.Message);
        }

        Assert.Equal(1, await collector.StatAsync("counters", "connections_idle_closed"));
        Assert.Equal(1, await collector.StatAsync("counters", "connections_frame_timeout"));
        // A connection that keeps sending whole frames is never idle.
        await using var sender = new BatchSender(new BatchSenderOptions { Endpoints = [collector.Ingest] });
        Assert.True((await sender.SendAsync(new OutgoingBatch(BatchId.New(), 2, StoredEvents.Events(0, 2)))).Acknowledged);
    }

    [Fact]
    public async Task A_listener_at_max_connections_refuses_the_next_one_with_busy_until_one_closes()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"), "--max-connections", "3");
        await collector.StartAsync();
        List<TcpClient> open = [];
        for (var i = 0; i < 3; i++)
        {
            var client = await OpenAsync(collector, Hello);
            var welcome = new byte[64];
            Assert.True(await client.GetStream().ReadAsync(welcome) > 0); // the daemon has taken it in
            open.Add(client);
        }

        using (var fourth = await OpenAsync(collector, Hello))
        {
            var error = LastError(await UntilClosedAsync(fourth));
            Assert.Equal(RejectReason.Busy, error.Reason);
            Assert.Equal("this listener has 3 connections open (max-connections); retry later", error.Message);
        }

        Assert.Equal(1, await collector.StatAsync("counters", "connections_refused"));
        open[0].Dispose();
        await Eventually.TrueAsync(() => collector.StatAsync("ingest", "connections").Result == 2, () => collector.Output);
        await using var sender = new BatchSender(new BatchSenderOptions { Endpoints = [collector.Ingest] });
        Assert.True((await sender.SendAsync(new OutgoingBatch(BatchId.New(), 1, StoredEvents.Events(0, 1)))).Acknowledged);
        open.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task Partial_frames_past_the_shared_budget_are_refused_with_busy_and_counted()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"), "--partial-bytes-budget", (1 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await collector.StartAsync();
        var big = Frames.Batch(BatchId.New(), 2000, StoredEvents.Events(0, 2000)); // about 600 KB
        using var first = await OpenAsync(collector, [.. Hello, .. big[..^1]]);
        // The first connection's partial frame must be held in the budget before the second arrives, or on a busy
        // machine the second could fit and the first be the one refused.
        await Eventually.TrueAsync(() => collector.StatAsync("ingest", "partial_bytes_held").Result >= big.Length / 2, () => collector.Output, 120);
        using var second = await OpenAsync(collector, [.. Hello, .. big[..^1]]);
        var error = LastError(await UntilClosedAsync(second));
        Assert.Equal(RejectReason.Busy, error.Reason);
        Assert.Contains("partial-bytes-budget", error.Message);
        Assert.True(await collector.StatAsync("counters", "partial_budget_refused") >= 1);

        // The first one completes its frame and is acknowledged: the budget refused only what passed it.
        await first.GetStream().WriteAsync(big.AsMemory(big.Length - 1));
        var reply = new byte[4096];
        var read = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!RawConnection.TryFrames(reply.AsSpan(0, read).ToArray(), out var frames) || !frames.Any(f => f.Type == FrameType.Ack))
        {
            read += await first.GetStream().ReadAsync(reply.AsMemory(read), timeout.Token);
        }
    }

    [Fact]
    public async Task Idle_connections_are_closed_as_the_daemon_stops()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"), "--idle-timeout", "3600");
        await collector.StartAsync();
        List<TcpClient> idle = [];
        for (var i = 0; i < 20; i++)
        {
            idle.Add(await OpenAsync(collector, Hello));
        }

        await Eventually.TrueAsync(() => collector.StatAsync("ingest", "connections").Result == 20, () => collector.Output);
        Assert.Equal(0, await collector.TerminateAsync());
        foreach (var client in idle)
        {
            Assert.Equal([FrameType.Welcome], (await UntilClosedAsync(client)).Select(f => f.Type));
            client.Dispose();
        }
    }
}
