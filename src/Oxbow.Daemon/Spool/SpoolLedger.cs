using System.Text.Json;
using Oxbow.Store.Files;

namespace Oxbow.Daemon.Spool;

/// <summary>
/// The one record of how far the spool's consumer has got: a position, and the consumer's own state saved with it
/// (the collector's store keeps its checkpoint there). Replaced atomically (<see cref="DurableFiles.Replace"/>).
/// </summary>
internal sealed class SpoolLedger(IDurableFileSystem files, string directory)
{
    private const string FileName = "ledger.json";

    private string Path => System.IO.Path.Combine(directory, FileName);

    /// <summary>The committed position and consumer state; nothing committed (the start) on a new or unreadable ledger.</summary>
    public (SpoolPosition Done, JsonElement? Consumer) Read()
    {
        var bytes = DurableFiles.ReadAll(files, Path);
        if (bytes is null)
        {
            return (default, null);
        }

        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            var position = new SpoolPosition(root.GetProperty("segment").GetInt64(), root.GetProperty("offset").GetInt64());
            return (position, root.TryGetProperty("consumer", out var consumer) ? consumer.Clone() : null);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            // The ledger is replaced atomically, so this is damage from outside. Replaying from the start is safe:
            // upstreams drop duplicate batches.
            OxbowDaemonLog.Error("spool_ledger_unreadable", ex);
            return (default, null);
        }
    }

    /// <summary>Makes <paramref name="done"/> and the consumer's state durable, replacing what was there.</summary>
    public void Write(SpoolPosition done, Action<Utf8JsonWriter>? consumerState)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("segment", done.Segment);
            json.WriteNumber("offset", done.Offset);
            if (consumerState is not null)
            {
                json.WritePropertyName("consumer");
                consumerState(json);
            }

            json.WriteEndObject();
        }

        DurableFiles.Replace(files, Path, buffer.WrittenSpan);
    }
}
