using Oxbow.Sinks;

namespace Oxbow.Pipeline;

/// <summary>
/// Copies the lines of a batch at or above a level into a reused buffer, for a sink whose minimum level is stricter
/// than the pipeline's. Runs on the writer thread only.
/// </summary>
/// <remarks>
/// The level is read from the encoded line rather than carried beside it, so the queue and the hot path stay as they
/// are: in canonical JSON the top-level <c>"level":"</c> comes before the body, after an id and a type that cannot
/// contain it, so its first occurrence is the event's level. Level names differ in their first letter.
/// </remarks>
internal sealed class SinkFilter
{
    private byte[] _buffer = [];

    public EventBatch Filter(in EventBatch batch, OxLevel minimum)
    {
        var source = batch.Utf8Lines.Span;
        if (_buffer.Length < source.Length)
        {
            _buffer = new byte[Math.Max(source.Length, _buffer.Length * 2)];
        }

        var written = 0;
        var count = 0;
        while (!source.IsEmpty)
        {
            var end = source.IndexOf((byte)'\n');
            var line = end < 0 ? source : source[..(end + 1)];
            source = end < 0 ? default : source[(end + 1)..];
            if (LevelOf(line) >= minimum)
            {
                line.CopyTo(_buffer.AsSpan(written));
                written += line.Length;
                count++;
            }
        }

        return new EventBatch(_buffer.AsMemory(0, written), count);
    }

    internal static OxLevel LevelOf(ReadOnlySpan<byte> line)
    {
        var at = line.IndexOf("\"level\":\""u8);
        if (at < 0 || at + 9 >= line.Length)
        {
            return OxLevel.Critical; // not a canonical line: let every sink have it rather than lose it
        }

        return line[at + 9] switch
        {
            (byte)'t' => OxLevel.Trace,
            (byte)'d' => OxLevel.Debug,
            (byte)'i' => OxLevel.Info,
            (byte)'w' => OxLevel.Warning,
            (byte)'e' => OxLevel.Error,
            _ => OxLevel.Critical,
        };
    }
}
