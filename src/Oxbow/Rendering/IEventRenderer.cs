using System.Buffers;

namespace Oxbow.Rendering;

/// <summary>
/// Turns an event into bytes for a particular audience (a terminal, logfmt tools, syslog). Renderers show what they
/// are given: redaction has already happened when the event was encoded.
/// </summary>
public interface IEventRenderer
{
    /// <summary>Appends the rendering of <paramref name="e"/>, including its line terminator, to <paramref name="output"/>.</summary>
    void Render(OxbowEvent e, IBufferWriter<byte> output);
}

/// <summary>Helpers for renderers.</summary>
public static class EventRendererExtensions
{
    /// <summary>Renders to a string (tests and tools; sinks write bytes).</summary>
    public static string RenderToString(this IEventRenderer renderer, OxbowEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        renderer.Render(e, buffer);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    internal static void WriteUtf8(this IBufferWriter<byte> output, string text)
    {
        var span = output.GetSpan(System.Text.Encoding.UTF8.GetMaxByteCount(text.Length));
        var written = System.Text.Encoding.UTF8.GetBytes(text, span);
        output.Advance(written);
    }
}
