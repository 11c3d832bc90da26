using Oxbow.Store.Files;
using Oxbow.Transport;

namespace Oxbow.Daemon.Spool;

/// <summary>
/// The ids of the most recently accepted batches, so a batch resent after a lost acknowledgement is recognised.
/// Ids of batches still in live segments are recovered by scanning them; ids of deleted segments are appended to
/// a small file first, so a retry is still recognised after the segment holding the original is gone.
/// </summary>
internal sealed class DedupWindow
{
    private readonly HashSet<BatchId> _ids = [];
    private readonly Queue<BatchId> _order = new();
    private readonly int _capacity;
    private readonly IDurableFileSystem _files;
    private readonly string _path;
    private long _entriesInFile;

    public DedupWindow(IDurableFileSystem files, string path, int capacity)
    {
        _files = files;
        _path = path;
        _capacity = Math.Max(16, capacity);
        if (DurableFiles.ReadAll(files, path) is { } bytes)
        {
            // A torn last entry (killed mid-append) is ignored: whole 16-byte entries only.
            for (var i = 0; i + Protocol.BatchIdLength <= bytes.Length; i += Protocol.BatchIdLength)
            {
                Add(BatchId.Read(bytes.AsSpan(i)));
                _entriesInFile++;
            }
        }
    }

    public int Count => _ids.Count;

    public bool Contains(BatchId id) => _ids.Contains(id);

    public void Add(BatchId id)
    {
        if (!_ids.Add(id))
        {
            return;
        }

        _order.Enqueue(id);
        while (_order.Count > _capacity)
        {
            _ids.Remove(_order.Dequeue());
        }
    }

    public void Remove(BatchId id) => _ids.Remove(id);

    /// <summary>Makes ids durable before the segment that held them is deleted.</summary>
    public void Persist(IReadOnlyCollection<BatchId> ids)
    {
        if (ids.Count == 0)
        {
            return;
        }

        if (_entriesInFile + ids.Count > 2L * _capacity)
        {
            // Rewrite with the remembered window only, so the file stays bounded.
            var all = _order.Where(_ids.Contains).ToArray();
            var buffer = new byte[all.Length * Protocol.BatchIdLength];
            for (var i = 0; i < all.Length; i++)
            {
                all[i].Write(buffer.AsSpan(i * Protocol.BatchIdLength));
            }

            DurableFiles.Replace(_files, _path, buffer);
            _entriesInFile = all.Length;
            return;
        }

        var bytes = new byte[ids.Count * Protocol.BatchIdLength];
        var offset = 0;
        foreach (var id in ids)
        {
            id.Write(bytes.AsSpan(offset));
            offset += Protocol.BatchIdLength;
        }

        var created = !_files.Exists(_path);
        using (var file = created ? _files.Create(_path) : _files.Open(_path))
        {
            // Whole entries only: a torn one from a crash mid-append is cut off, not read as part of the next.
            var end = file.Length / Protocol.BatchIdLength * Protocol.BatchIdLength;
            file.Write(bytes, end);
            file.Flush();
        }

        if (created)
        {
            _files.SyncDirectory(Path.GetDirectoryName(_path)!);
        }

        _entriesInFile += ids.Count;
    }
}
