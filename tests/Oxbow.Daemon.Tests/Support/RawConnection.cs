using System.Buffers;
using System.Net.Sockets;
using Oxbow.Transport;

namespace Oxbow.Daemon.Tests.Support;

/// <summary>Raw bytes to a daemon's ingest port, for tests that speak the protocol wrongly on purpose.</summary>
internal static class RawConnection
{
    /// <summary>
    /// Sends <paramref name="bytes"/> on a new connection, half-closes, and returns everything the daemon sent until it
    /// closed. A reset also ends the answer: what arrived before it is returned.
    /// </summary>
    public static async Task<byte[]> ExchangeAsync(int port, byte[] bytes)
    {
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        await stream.WriteAsync(bytes);
        client.Client.Shutdown(SocketShutdown.Send);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
        }

        return received.ToArray();
    }

    /// <summary>The whole frames in <paramref name="bytes"/>; false while a frame is still partial.</summary>
    public static bool TryFrames(byte[] bytes, out List<(FrameType Type, ReadOnlySequence<byte> Payload)> frames)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        frames = [];
        while (Transport.Frames.TryRead(ref buffer, 1 << 20, out var header, out var payload))
        {
            frames.Add((header.Type, payload));
        }

        return buffer.IsEmpty;
    }

    /// <summary>The frames in <paramref name="bytes"/>; fails the test on a partial frame.</summary>
    public static List<(FrameType Type, ReadOnlySequence<byte> Payload)> Frames(byte[] bytes)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        List<(FrameType, ReadOnlySequence<byte>)> frames = [];
        while (Transport.Frames.TryRead(ref buffer, 1 << 20, out var header, out var payload))
        {
            frames.Add((header.Type, payload));
        }

        Assert.True(buffer.IsEmpty, $"{buffer.Length} bytes of a partial frame from the daemon");
        return frames;
    }
}
