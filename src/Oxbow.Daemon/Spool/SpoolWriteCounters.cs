namespace Oxbow.Daemon.Spool;

/// <summary>What the spool's writer did, counted as it happens: read from any thread, written by the writer only.</summary>
internal sealed class SpoolWriteCounters
{
    private long _appended;
    private long _appendedEvents;
    private long _appendedBytes;
    private long _duplicates;
    private long _fullRejects;
    private long _failedAppends;
    private long _fsyncs;
    private long _bytesWritten;

    /// <summary>Batches acknowledged as durable.</summary>
    public long Appended => Interlocked.Read(ref _appended);

    public long AppendedEvents => Interlocked.Read(ref _appendedEvents);

    /// <summary>Bytes of the batches acknowledged (their data, not what the spool wrote for them).</summary>
    public long AppendedBytes => Interlocked.Read(ref _appendedBytes);

    /// <summary>Batches answered as duplicates of one already durable.</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>Batches refused because the spool was at its bound.</summary>
    public long FullRejects => Interlocked.Read(ref _fullRejects);

    /// <summary>Batches refused because writing or syncing failed.</summary>
    public long FailedAppends => Interlocked.Read(ref _failedAppends);

    /// <summary>fsyncs of segment files and of their directory.</summary>
    public long Fsyncs => Interlocked.Read(ref _fsyncs);

    /// <summary>Bytes written to segment files, records and headers.</summary>
    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    public void Acknowledged(int events, int bytes)
    {
        Interlocked.Increment(ref _appended);
        Interlocked.Add(ref _appendedEvents, events);
        Interlocked.Add(ref _appendedBytes, bytes);
    }

    public void Duplicate() => Interlocked.Increment(ref _duplicates);

    public void Full() => Interlocked.Increment(ref _fullRejects);

    public void Failed() => Interlocked.Increment(ref _failedAppends);

    public void Synced(int fsyncs) => Interlocked.Add(ref _fsyncs, fsyncs);

    public void Written(long bytes) => Interlocked.Add(ref _bytesWritten, bytes);
}
