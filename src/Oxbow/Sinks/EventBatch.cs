namespace Oxbow.Sinks;

/// <summary>
/// A run of canonical events as UTF-8 JSON lines, each ending in <c>\n</c>. The memory is only valid during
/// <see cref="IEventSink.Emit"/>: a sink that keeps events must copy them.
/// </summary>
public readonly struct EventBatch
{
    /// <summary>Wraps NDJSON bytes holding <paramref name="count"/> lines.</summary>
    public EventBatch(ReadOnlyMemory<byte> utf8Lines, int count)
    {
        Utf8Lines = utf8Lines;
        Count = count;
    }

    /// <summary>The lines, each terminated by <c>\n</c>.</summary>
    public ReadOnlyMemory<byte> Utf8Lines { get; }

    /// <summary>Number of events.</summary>
    public int Count { get; }

    /// <summary>Enumerates the lines without their newline.</summary>
    public LineEnumerator GetEnumerator() => new(Utf8Lines.Span);

    /// <summary>Enumerates lines of NDJSON without allocating.</summary>
    public ref struct LineEnumerator
    {
        private ReadOnlySpan<byte> _remaining;

        internal LineEnumerator(ReadOnlySpan<byte> utf8) => _remaining = utf8;

        /// <summary>The current line, without its newline.</summary>
        public ReadOnlySpan<byte> Current { get; private set; }

        /// <summary>Moves to the next line.</summary>
        public bool MoveNext()
        {
            if (_remaining.IsEmpty)
            {
                return false;
            }

            var end = _remaining.IndexOf((byte)'\n');
            if (end < 0)
            {
                Current = _remaining;
                _remaining = default;
            }
            else
            {
                Current = _remaining[..end];
                _remaining = _remaining[(end + 1)..];
            }

            return true;
        }
    }
}
