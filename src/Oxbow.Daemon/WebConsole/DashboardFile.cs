using System.Text.Json;
using Oxbow.IO;

namespace Oxbow.Daemon.WebConsole;

/// <summary>
/// The console's saved dashboards: one JSON document, <c>{"dashboards": [{"name": …, "charts": […]}, …]}</c>, in
/// <c>DATA/_oxbow/console/dashboards.json</c>. It is replaced whole (a save, or an import of an exported file),
/// atomically, so a crash leaves the old document or the new one. Dashboard names are data inside the file and never
/// become paths.
/// </summary>
internal sealed class DashboardFile(string path)
{
    /// <summary>The largest document accepted: dashboards are a few charts each, not data.</summary>
    public const int MaxBytes = 1 << 20;

    private static readonly byte[] Empty = "{\"dashboards\":[]}"u8.ToArray();
    private readonly Lock _gate = new();

    /// <summary>The document as saved, or an empty one.</summary>
    public byte[] Read()
    {
        lock (_gate)
        {
            return File.Exists(path) ? File.ReadAllBytes(path) : Empty;
        }
    }

    /// <summary>Replaces the document with <paramref name="body"/>.</summary>
    /// <exception cref="FormatException">Not a JSON object with a <c>dashboards</c> array of objects, or larger than <see cref="MaxBytes"/>.</exception>
    public async Task ReplaceAsync(Stream body, CancellationToken cancellation)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellation).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
            {
                throw new FormatException($"a dashboards document is at most {MaxBytes} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        var bytes = buffer.ToArray();
        try
        {
            using var document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("dashboards", out var list) || list.ValueKind != JsonValueKind.Array
                || list.EnumerateArray().Any(d => d.ValueKind != JsonValueKind.Object || !d.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String))
            {
                throw new FormatException("a dashboards document is {\"dashboards\": [{\"name\": \"…\", \"charts\": […]}, …]}");
            }
        }
        catch (JsonException ex)
        {
            throw new FormatException($"a dashboards document must be JSON ({ex.Message})");
        }

        lock (_gate)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            AtomicFile.Write(path, bytes);
        }
    }
}
