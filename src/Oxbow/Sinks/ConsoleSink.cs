using System.Buffers;
using Oxbow.Codec;
using Oxbow.Rendering;

namespace Oxbow.Sinks;

/// <summary>
/// Writes events to standard output (or any stream) through a renderer. With <see cref="JsonRenderer"/> the
/// canonical bytes are copied through unchanged; other renderers parse each line back into an event first.
/// </summary>
public sealed class ConsoleSink : IEventSink, IDisposable
{
    private readonly IEventRenderer _renderer;
    private readonly Stream _output;
    private readonly bool _ownsOutput;
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);

    /// <summary>Creates a sink writing to <paramref name="output"/>, or to standard output when null.</summary>
    public ConsoleSink(IEventRenderer? renderer = null, Stream? output = null)
    {
        _renderer = renderer ?? new ConsoleRenderer();
        _ownsOutput = output is null;
        _output = output ?? Console.OpenStandardOutput();
    }

    /// <inheritdoc />
    public void Emit(in EventBatch batch)
    {
        if (_renderer is JsonRenderer)
        {
            _output.Write(batch.Utf8Lines.Span);
        }
        else
        {
            _buffer.ResetWrittenCount();
            foreach (var line in batch)
            {
                _renderer.Render(CanonicalJson.Parse(line), _buffer);
            }

            _output.Write(_buffer.WrittenSpan);
        }

        _output.Flush();
    }

    /// <summary>Flushes; closes the stream only if the sink opened it.</summary>
    public void Dispose()
    {
        _output.Flush();
        if (_ownsOutput)
        {
            _output.Dispose();
        }
    }
}
