using System.Text;
using System.Text.RegularExpressions;

namespace Oxbow.Shipper;

/// <summary>
/// Joins continuation lines onto the record they belong to, so a stack trace stays one event. A line matching the
/// start pattern begins a record; any other line is appended with <c>\n</c>. A record is complete when the next one
/// starts, or when no line has arrived for the idle time (the writer has finished it). Without a pattern every line
/// is a record.
/// </summary>
internal sealed class MultilineJoiner(Regex? startPattern, TimeSpan idle, int maxRecordBytes, TimeProvider time)
{
    private readonly List<byte> _pending = [];
    private long _pendingEnd;
    private bool _hasPending;
    private long _lastLineTicks;

    /// <summary>Whether a record is being gathered (its lines are not yet acknowledged, so the checkpoint stays before it).</summary>
    public bool HasPending => _hasPending;

    /// <summary>Adds one line; returns the record it completed, if any.</summary>
    public LineRecord? Add(LineRecord line)
    {
        _lastLineTicks = time.GetTimestamp();
        if (startPattern is null)
        {
            return line;
        }

        var startsRecord = startPattern.IsMatch(Encoding.UTF8.GetString(line.Bytes));
        LineRecord? completed = null;
        if (_hasPending && startsRecord)
        {
            completed = Take();
        }

        if (_hasPending)
        {
            // Beyond the limit the rest of a runaway record is dropped here; LineEvents marks it truncated.
            if (_pending.Count < maxRecordBytes)
            {
                _pending.Add((byte)'\n');
                _pending.AddRange(line.Bytes);
            }
        }
        else
        {
            _pending.AddRange(line.Bytes);
            _hasPending = true;
        }

        _pendingEnd = line.End;
        return completed;
    }

    /// <summary>The pending record once it has been idle long enough, or at once when <paramref name="force"/> (end of input, rotation).</summary>
    public LineRecord? Flush(bool force)
    {
        if (!_hasPending || (!force && time.GetElapsedTime(_lastLineTicks) < idle))
        {
            return null;
        }

        return Take();
    }

    private LineRecord Take()
    {
        var record = new LineRecord([.. _pending], _pendingEnd);
        _pending.Clear();
        _hasPending = false;
        return record;
    }
}
