using System.Buffers;
using Oxbow.Codec;

namespace Oxbow.Rendering;

/// <summary>The canonical encoding: one JSON object per line (docs/event-format.md).</summary>
public sealed class JsonRenderer : IEventRenderer
{
    private static readonly KeyCache NoRedaction = new(RedactionPolicy.None);

    /// <inheritdoc />
    public void Render(OxbowEvent e, IBufferWriter<byte> output)
    {
        var writer = new Utf8EventWriter(512);
        CanonicalJson.Write(writer, e, NoRedaction);
        writer.Byte((byte)'\n');
        output.Write(writer.WrittenSpan);
    }
}
