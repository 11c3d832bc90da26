using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using Oxbow.Store.Events;
using Oxbow.Transport;

namespace Oxbow.Daemon.Stats;

/// <summary>Counts for one event type or one host.</summary>
internal sealed class StreamCounters
{
    private long _events;
    private long _bytes;
    private long _lastSeenTicks;
    private long _lagTicks;

    /// <summary>Events accepted.</summary>
    public long Events => Interlocked.Read(ref _events);

    /// <summary>Bytes of those events.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>When the last one arrived.</summary>
    public DateTime LastSeenUtc => new(Interlocked.Read(ref _lastSeenTicks), DateTimeKind.Utc);

    /// <summary>Arrival time minus event end time of the last one: how far behind the sources are.</summary>
    public TimeSpan Lag => TimeSpan.FromTicks(Interlocked.Read(ref _lagTicks));

    internal void Add(long events, long bytes, long arrivalTicks, long endTicks)
    {
        Interlocked.Add(ref _events, events);
        Interlocked.Add(ref _bytes, bytes);
        Interlocked.Exchange(ref _lastSeenTicks, arrivalTicks);
        Interlocked.Exchange(ref _lagTicks, Math.Max(0, arrivalTicks - endTicks));
    }
}

/// <summary>Everything <c>/v1/stats</c> and <c>/metrics</c> report that is not owned by another component.</summary>
internal sealed class DaemonStats
{
    private readonly ConcurrentDictionary<string, StreamCounters> _types = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StreamCounters> _hosts = new(StringComparer.Ordinal);
    private readonly long[] _rejects = new long[32];
    private readonly ConcurrentDictionary<string, StrongBox<long>> _counters = new(StringComparer.Ordinal);
    private long _connections;
    private long _connectionsTotal;
    private long _batches;

    /// <summary>Per event type.</summary>
    public IReadOnlyDictionary<string, StreamCounters> Types => _types;

    /// <summary>Per source host.</summary>
    public IReadOnlyDictionary<string, StreamCounters> Hosts => _hosts;

    /// <summary>Open ingest connections.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Ingest connections since start.</summary>
    public long ConnectionsTotal => Interlocked.Read(ref _connectionsTotal);

    /// <summary>Batches accepted (binary and HTTP).</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Refusals by reason (frames, batches, HTTP requests).</summary>
    public IEnumerable<(RejectReason Reason, long Count)> Rejects()
    {
        for (var i = 0; i < _rejects.Length; i++)
        {
            var count = Interlocked.Read(ref _rejects[i]);
            if (count > 0)
            {
                yield return ((RejectReason)i, count);
            }
        }
    }

    /// <summary>The named counters (<see cref="DaemonCounters"/>) that have counted something, by name.</summary>
    public IEnumerable<(string Name, long Count)> Counters() =>
        _counters.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => (c.Key, Interlocked.Read(ref c.Value.Value)));

    internal void Count(string name, long by = 1) =>
        Interlocked.Add(ref _counters.GetOrAdd(name, static _ => new StrongBox<long>()).Value, by);

    internal void Reject(RejectReason reason) => Interlocked.Increment(ref _rejects[(int)reason % _rejects.Length]);

    internal void ConnectionOpened()
    {
        Interlocked.Increment(ref _connections);
        Interlocked.Increment(ref _connectionsTotal);
    }

    internal void ConnectionClosed() => Interlocked.Decrement(ref _connections);

    /// <summary>Counts an accepted batch of canonical lines by type and by host.</summary>
    internal void Accepted(ReadOnlyMemory<byte> data, DateTime arrivalUtc)
    {
        Interlocked.Increment(ref _batches);
        var arrival = arrivalUtc.Ticks;
        // Runs of one type (and one host) are the common case: count a run once.
        StreamCounters? type = null, host = null;
        Span<byte> lastType = stackalloc byte[Oxbow.EventType.MaxLength];
        var lastTypeLength = -1;
        long runEvents = 0, runBytes = 0;
        ReadOnlySpan<byte> runEnd = default;
        var hostName = "";
        foreach (var line in new Sinks.EventBatch(data, 0))
        {
            // Validated at ingest: only find the fields.
            if (!CanonicalLine.TryLocate(line, out var canonical))
            {
                continue;
            }

            var sameType = lastTypeLength == canonical.Type.Length && canonical.Type.SequenceEqual(lastType[..lastTypeLength]);
            var lineHost = canonical.Host;
            var sameHost = host is not null && Equal(hostName, lineHost);
            if (!sameType || !sameHost)
            {
                Flush(type, host, runEvents, runBytes, arrival, runEnd);
                runEvents = runBytes = 0;
                if (!sameType)
                {
                    var name = Encoding.ASCII.GetString(canonical.Type);
                    type = _types.GetOrAdd(name, static _ => new StreamCounters());
                    canonical.Type.CopyTo(lastType);
                    lastTypeLength = canonical.Type.Length;
                }

                if (!sameHost)
                {
                    hostName = lineHost.IsEmpty ? "-" : Encoding.UTF8.GetString(lineHost);
                    host = _hosts.GetOrAdd(hostName, static _ => new StreamCounters());
                }
            }

            runEvents++;
            runBytes += line.Length + 1;
            runEnd = canonical.End;
        }

        Flush(type, host, runEvents, runBytes, arrival, runEnd);
    }

    private static bool Equal(string name, ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return name == "-";
        }

        if (name.Length != utf8.Length)
        {
            return false;
        }

        for (var i = 0; i < utf8.Length; i++)
        {
            if (name[i] != utf8[i])
            {
                return false;
            }
        }

        return true;
    }

    private static void Flush(StreamCounters? type, StreamCounters? host, long events, long bytes, long arrival, ReadOnlySpan<byte> lastEnd)
    {
        if (events == 0)
        {
            return;
        }

        // The time of the run's last event only: parsing every event's time cost more than all the rest of counting.
        var end = CanonicalLine.ParseTicks(lastEnd);
        type?.Add(events, bytes, arrival, end);
        host?.Add(events, bytes, arrival, end);
    }
}
