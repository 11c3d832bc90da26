using Oxbow.Daemon.Spool.Format;
using Oxbow.Store.Files;
using Oxbow.Store.Partitions;

namespace Oxbow.Daemon.Spool;

/// <summary>The writer's segments: room under the bound (or dropping the oldest), rolling to a new segment, and undoing a failed write.</summary>
internal sealed partial class SpoolWriter
{
    /// <summary>Whether <paramref name="size"/> more bytes fit under the bound, dropping the oldest segments first when that is the policy.</summary>
    private bool MakeRoom(long size)
    {
        while (true)
        {
            SpoolSegment? oldest;
            lock (_state.Gate)
            {
                if (_state.TotalBytes + size <= _options.MaxBytes)
                {
                    return true;
                }

                if (_options.FullPolicy == SpoolFullPolicy.Backpressure)
                {
                    return false;
                }

                oldest = _state.Segments.Count > 1 ? _state.Segments[0] : null;
            }

            if (oldest is null)
            {
                return false;
            }

            _state.Retire(oldest, countAsDropped: true);
        }
    }

    /// <summary>Seals the active segment and starts the next; false (the group failed) when the new one cannot be made.</summary>
    private bool Roll(List<PendingAppend> group)
    {
        IDurableFile next;
        try
        {
            next = CreateSegment(_state.Active.Number + 1);
        }
        catch (IOException ex)
        {
            Failed("spool_roll_failed", ex);
            FailUnsynced(group);
            return false;
        }

        _active.Dispose();
        _active = next;
        return true;
    }

    /// <summary>
    /// Creates segment <paramref name="number"/> and makes it the active one: header written and flushed, and the
    /// directory synced, since records acknowledged in a file whose creation a power cut undid would be lost.
    /// </summary>
    private IDurableFile CreateSegment(long number)
    {
        var path = Path.Combine(_options.Directory, SpoolSegmentFormat.FileName(number));
        var segment = new SpoolSegment(number, path) { Length = SpoolSegmentFormat.HeaderLength, Placed = _placement is not null };
        var file = _files.Create(path);
        try
        {
            Span<byte> header = stackalloc byte[SpoolSegmentFormat.HeaderLength];
            SpoolSegmentFormat.WriteHeader(header, number, segment.Placed);
            file.Write(header, 0);
            file.Flush();
            _files.SyncDirectory(_options.Directory);
            Counters.Synced(2);
            Counters.Written(header.Length);
        }
        catch
        {
            file.Dispose();
            TryDelete(path);
            throw;
        }

        lock (_state.Gate)
        {
            _state.Segments.Add(segment);
            _state.TotalBytes += SpoolSegmentFormat.HeaderLength;
            _state.Active = segment;
            _state.DurableEnd = new SpoolPosition(number, segment.Length);
        }

        return file;
    }

    private void TryDelete(string path)
    {
        try
        {
            _files.Delete(path);
        }
        catch (IOException)
        {
            // Recovery deletes a segment whose header is torn.
        }
    }

    private void TryTruncate(long length)
    {
        try
        {
            _active.SetLength(length);
        }
        catch (IOException)
        {
            // The next record overwrites from the recorded length anyway; recovery cuts whatever is left.
        }
    }
}
