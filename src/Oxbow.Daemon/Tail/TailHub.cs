using System.Threading.Channels;

namespace Oxbow.Daemon.Tail;

/// <summary>
/// Fans accepted events out to live-tail subscribers. Each subscriber has a bounded queue; when it is full the event
/// is dropped for that subscriber and counted, so a slow reader never slows ingest.
/// </summary>
internal sealed class TailHub
{
    /// <summary>Events queued per subscriber before drops start.</summary>
    public const int SubscriberCapacity = 10_000;

    private readonly object _lock = new();
    private Subscriber[] _subscribers = [];
    private long _dropped;
    private long _delivered;

    /// <summary>Active subscribers.</summary>
    public int Subscribers => Volatile.Read(ref _subscribers).Length;

    /// <summary>Events dropped for slow subscribers, all together.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Events queued for subscribers, all together.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Adds a subscriber; dispose the result to leave.</summary>
    public Subscription Subscribe(TailFilter filter)
    {
        var subscriber = new Subscriber(filter, this);
        lock (_lock)
        {
            _subscribers = [.. _subscribers, subscriber];
        }

        return new Subscription(subscriber);
    }

    /// <summary>Offers accepted canonical lines to every subscriber. Costs one read when nobody is tailing.</summary>
    public void Publish(ReadOnlyMemory<byte> data)
    {
        var subscribers = Volatile.Read(ref _subscribers);
        if (subscribers.Length == 0)
        {
            return;
        }

        foreach (var line in new Sinks.EventBatch(data, 0))
        {
            byte[]? copy = null;
            foreach (var subscriber in subscribers)
            {
                if (!subscriber.Filter.Matches(line))
                {
                    continue;
                }

                copy ??= line.ToArray();
                if (subscriber.Queue.Writer.TryWrite(copy))
                {
                    Interlocked.Increment(ref _delivered);
                }
                else
                {
                    Interlocked.Increment(ref subscriber.DroppedCount);
                    Interlocked.Increment(ref _dropped);
                }
            }
        }
    }

    private void Remove(Subscriber subscriber)
    {
        lock (_lock)
        {
            _subscribers = [.. _subscribers.Where(s => s != subscriber)];
        }
    }

    internal sealed class Subscriber(TailFilter filter, TailHub hub)
    {
        public long DroppedCount;

        public TailFilter Filter { get; } = filter;

        public TailHub Hub { get; } = hub;

        public Channel<byte[]> Queue { get; } = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(SubscriberCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
    }

    /// <summary>One subscriber's stream of matching lines (without newlines).</summary>
    public sealed class Subscription : IDisposable
    {
        private readonly Subscriber _subscriber;

        internal Subscription(Subscriber subscriber) => _subscriber = subscriber;

        /// <summary>Matching lines, as they are accepted.</summary>
        public ChannelReader<byte[]> Lines => _subscriber.Queue.Reader;

        /// <summary>Lines dropped because this subscriber fell behind.</summary>
        public long Dropped => Interlocked.Read(ref _subscriber.DroppedCount);

        /// <inheritdoc/>
        public void Dispose()
        {
            _subscriber.Hub.Remove(_subscriber);
            _subscriber.Queue.Writer.TryComplete();
        }
    }
}
