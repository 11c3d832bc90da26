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

    [Fact]
    public void A_writer_that_saw_events_lately_finds_the_next_ones_by_itself_and_a_quiet_one_is_woken_by_the_next_event()
    {
        using var queue = new EventQueue(initialCapacity: 4096, maxCapacity: 4096, maxEventBytes: 1024, QueueFullMode.Wait, TimeSpan.FromMilliseconds(1));
        var received = 0L;
        var writer = new Thread(() =>
        {
            while (queue.TakeBatch(out _, out _, out var count, out _, out var ticket))
            {
                Interlocked.Add(ref received, count);
                queue.BatchDone(ticket);
            }
        });
        writer.Start();
        var line = "{}\n"u8.ToArray();

        // The first event wakes the sleeping writer; the next ones, right behind it, are found by its polling.
        for (var expected = 1; expected <= 3; expected++)
        {
            Assert.True(queue.TryEnqueue(line));
            WaitUntil(() => Interlocked.Read(ref received) == expected, $"event {expected} was written");
        }

        // After a quiet second the writer sleeps, and an event still wakes it: no flush is needed.
        WaitUntil(() => queue.WriterAsleep, "the writer fell asleep");
        Assert.True(queue.TryEnqueue(line));
        WaitUntil(() => Interlocked.Read(ref received) == 4, "the event after the quiet second was written");

        queue.Complete();
        Assert.True(writer.Join(TimeSpan.FromMinutes(1)));
    }

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            Thread.Sleep(5);
        }
    }
}
