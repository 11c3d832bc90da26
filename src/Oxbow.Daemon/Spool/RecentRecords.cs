namespace Oxbow.Daemon.Spool;

/// <summary>
/// Records made durable recently, kept in memory so a consumer that keeps up reads them without a read syscall and a
/// second checksum pass. Each holds a copy of its data (the caller's memory is the caller's again once the append
/// completes). Bounded by bytes: once full, newer records are not kept, so a consumer that is behind (an upstream that
/// is down) costs no memory per batch; it reads the files instead. Used under <see cref="SpoolState.Gate"/>.
/// </summary>
internal sealed class RecentRecords
{
    private const long MaxBytes = 32L << 20;

    private readonly Queue<SpoolRecord> _records = new();
    private long _bytes;

    /// <summary>Keeps a copy of <paramref name="record"/> when there is room.</summary>
    public void Add(SpoolRecord record)
    {
        if (_bytes + record.Data.Length <= MaxBytes)
        {
            _records.Enqueue(record with { Data = record.Data.ToArray() });
            _bytes += record.Data.Length;
        }
    }

    /// <summary>The record at <paramref name="position"/> when it is kept; forgets every record before it.</summary>
    public SpoolRecord? Take(SpoolPosition position)
    {
        while (_records.TryPeek(out var recent) && recent.Position < position)
        {
            _bytes -= recent.Data.Length;
            _records.Dequeue();
        }

        if (_records.TryPeek(out var cached) && cached.Position == position)
        {
            _bytes -= cached.Data.Length;
            _records.Dequeue();
            return cached;
        }

        return null;
    }
}
