using System.Buffers.Binary;
using Oxbow.Pipeline;

namespace Oxbow.Tests;

/// <summary>The queue between logging threads and the writer, driven by real threads: nothing lost, nothing twice.</summary>
public sealed class EventQueueTests
{
    private const int Producers = 4;
    private const int PerProducer = 50_000;
    private const int Line = 48;

    [Theory]
    [InlineData(QueueFullMode.Wait)]
    [InlineData(QueueFullMode.DropNewest)]
    public void Every_line_several_threads_enqueue_reaches_the_writer_once_or_is_counted_as_dropped(QueueFullMode mode)
    {
        // Small buffers, so producers keep finding the queue full: growth, waiting or dropping all happen many times.
        using var queue = new EventQueue(initialCapacity: 4096, maxCapacity: 16_384, maxEventBytes: 1024, mode, TimeSpan.Zero);
        var seen = new int[Producers * PerProducer];
        var accepted = 0L;
        var received = 0L;
        var writer = new Thread(() =>
        {
            while (queue.TakeBatch(out var buffer, out var bytes, out var count, out _, out var ticket))
            {
                for (var at = 0; at < bytes; at += Line)
                {
                    seen[BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(at + 1))]++;
                }

                received += count;
                queue.BatchDone(ticket);
            }
        });
        writer.Start();

        var producers = Enumerable.Range(0, Producers).Select(p => new Thread(() =>
        {
            Span<byte> line = stackalloc byte[Line];
            line.Fill((byte)'x');
            line[0] = (byte)'{';
            for (var i = 0; i < PerProducer; i++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(line[1..], (p * PerProducer) + i);
                if (queue.TryEnqueue(line))
                {
                    Interlocked.Increment(ref accepted);
                }
            }
        })).ToList();
        producers.ForEach(t => t.Start());
        producers.ForEach(t => t.Join());
        queue.Complete();
        writer.Join();

        Assert.Equal(Producers * PerProducer, accepted + queue.DroppedQueueFull);
        Assert.Equal(accepted, received);
        Assert.Equal(accepted, queue.Enqueued);
        Assert.Equal(accepted, seen.Count(n => n == 1));
        Assert.Equal(0, seen.Count(n => n > 1));
        if (mode == QueueFullMode.Wait)
        {
            Assert.Equal(0, queue.DroppedQueueFull);
        }
    }
}
