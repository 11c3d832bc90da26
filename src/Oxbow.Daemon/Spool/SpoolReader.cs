using Oxbow.Daemon.Spool.Format;
using Oxbow.Store.Files;

namespace Oxbow.Daemon.Spool;

/// <summary>
/// The consumer's side of the spool: reads durable records in order, from the recent records in memory when it keeps
/// up and from the segment files when it is behind. For one consumer thread.
/// </summary>
internal sealed class SpoolReader(IDurableFileSystem files, SpoolState state) : IDisposable
{
    private IDurableFile? _file;
    private long _fileSegment = -1;

    /// <summary>
    /// Reads the durable record at <paramref name="position"/>, moving past ends of segments and segments that were
    /// dropped. Returns null when nothing more is durable yet.
    /// </summary>
    public SpoolRecord? TryRead(ref SpoolPosition position)
    {
        while (true)
        {
            SpoolSegment? segment = null;
            long limit;
            lock (state.Gate)
            {
                foreach (var candidate in state.Segments)
                {
                    if (candidate.Number >= position.Segment)
                    {
                        segment = candidate;
                        break;
                    }
                }

                if (segment is null)
                {
                    return null;
                }

                if (segment.Number != position.Segment || position.Offset < SpoolSegmentFormat.HeaderLength)
                {
                    position = new SpoolPosition(segment.Number, SpoolSegmentFormat.HeaderLength);
                }

                var active = segment == state.Active;
                limit = active ? state.DurableEnd.Offset : segment.Length;
                if (position.Offset >= limit)
                {
                    if (active)
                    {
                        return null;
                    }

                    position = new SpoolPosition(segment.Number + 1, SpoolSegmentFormat.HeaderLength);
                    continue;
                }

                if (state.Recent.Take(position) is { } cached)
                {
                    position = cached.Next;
                    return cached;
                }
            }

            var record = ReadFromFile(segment, position, limit, out var status);
            if (record is not null)
            {
                position = record.Next;
                return record;
            }

            lock (state.Gate)
            {
                if (!state.Segments.Contains(segment))
                {
                    // Dropped while we read (drop-oldest): go on with the next segment.
                    position = new SpoolPosition(segment.Number + 1, SpoolSegmentFormat.HeaderLength);
                    continue;
                }

                if (status is null)
                {
                    // The disk failed to read it this time: try again later from the same place. Skipping here would
                    // lose acknowledged batches to a passing error (the model test found that).
                    return null;
                }

                // Damaged since it was written: counted and said out loud, then the consumer goes on with the next
                // segment rather than stopping for good.
                state.SkippedRecords++;
                state.SkippedBytes += limit - position.Offset;
                OxbowDaemonLog.Warning("spool_unreadable_record", "segment", segment.Number, "offset", position.Offset, "bytes", limit - position.Offset);
            }

            position = new SpoolPosition(segment.Number + 1, SpoolSegmentFormat.HeaderLength);
        }
    }

    /// <summary>The record, or null with what was wrong with it; a null <paramref name="status"/> means the read itself failed.</summary>
    private SpoolRecord? ReadFromFile(SpoolSegment segment, SpoolPosition position, long limit, out RecordStatus? status)
    {
        status = null;
        try
        {
            if (_file is null || _fileSegment != segment.Number)
            {
                _file?.Dispose();
                _file = null;
                _file = files.Open(segment.Path);
                _fileSegment = segment.Number;
            }

            status = SpoolRecordReader.Read(_file, position.Offset, limit, out var head, out var payload);
            if (status != RecordStatus.Valid)
            {
                return null;
            }

            return new SpoolRecord(position, new SpoolPosition(segment.Number, position.Offset + SpoolRecordFormat.Size(payload.Length)),
                SpoolRecordFormat.BatchIdOf(head), SpoolRecordFormat.EventCountOf(head), payload);
        }
        catch (IOException)
        {
            _file?.Dispose();
            _file = null;
            _fileSegment = -1;
            status = null;
            return null;
        }
    }

    public void Dispose() => _file?.Dispose();
}
