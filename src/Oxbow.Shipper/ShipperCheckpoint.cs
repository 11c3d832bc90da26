using System.Text;
using System.Text.Json;
using Oxbow.IO;
using Oxbow.Transport;

namespace Oxbow.Shipper;

/// <summary>Where reading of one followed path resumes: the file (device, inode) and the offset after the last acknowledged record.</summary>
internal sealed record FilePosition(ulong Device, ulong Inode, long Offset)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public FileIdentity Identity => new(Device, Inode);
}

/// <summary>
/// The follower's persisted state, one JSON file, replaced atomically (write, fsync, rename). Before a batch is sent
/// it is written whole to <c>STATE.pending</c> with its batch id and the positions it advances to; after the
/// acknowledgement the positions go into the state and the pending file is removed. A restart that finds a pending
/// batch sends it again with the same id, which the collector recognises if it already has it: no line is lost or
/// stored twice, wherever the process was killed.
/// </summary>
internal sealed class ShipperCheckpoint(string path)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public string Path { get; } = path;

    private string PendingPath => Path + ".pending";

    public Dictionary<string, FilePosition> Load() =>
        File.Exists(Path)
            ? JsonSerializer.Deserialize<Dictionary<string, FilePosition>>(File.ReadAllBytes(Path)) ?? []
            : [];

    public void Save(Dictionary<string, FilePosition> positions) => Write(Path, JsonSerializer.SerializeToUtf8Bytes(positions, Json));

    /// <summary>Records a batch about to be sent: its id, the positions it completes, and its bytes.</summary>
    public void WritePending(BatchId id, int count, Dictionary<string, FilePosition> positions, ReadOnlySpan<byte> data)
    {
        var header = JsonSerializer.SerializeToUtf8Bytes(new PendingHeader(id.ToString(), count, positions));
        var bytes = new byte[header.Length + 1 + data.Length];
        header.CopyTo(bytes, 0);
        bytes[header.Length] = (byte)'\n';
        data.CopyTo(bytes.AsSpan(header.Length + 1));
        Write(PendingPath, bytes);
    }

    /// <summary>The batch that was being sent when the process stopped, if any.</summary>
    public (BatchId Id, int Count, Dictionary<string, FilePosition> Positions, byte[] Data)? LoadPending()
    {
        if (!File.Exists(PendingPath))
        {
            return null;
        }

        var bytes = File.ReadAllBytes(PendingPath);
        var newline = Array.IndexOf(bytes, (byte)'\n');
        var header = JsonSerializer.Deserialize<PendingHeader>(bytes.AsSpan(0, newline))!;
        var id = BatchId.Read(Convert.FromHexString(header.Id));
        return (id, header.Count, header.Positions, bytes[(newline + 1)..]);
    }

    public void ClearPending() => File.Delete(PendingPath);

    private static void Write(string path, byte[] bytes)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        AtomicFile.Write(path, bytes);
    }

    private sealed record PendingHeader(string Id, int Count, Dictionary<string, FilePosition> Positions);
}
