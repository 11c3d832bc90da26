using Oxbow.Store.Files;

namespace Oxbow.Store.Partitions;

/// <summary>
/// Puts back the content of a partition file that someone removed (or replaced) while the collector held it open.
/// </summary>
/// <remarks>
/// After <c>rm</c> of an open file, writes through the collector's handle still succeed: they go into an inode no
/// path leads to, which no query or restart will ever find. An acknowledgement must mean "on disk where the store
/// looks", so before a batch is acknowledged each file it went to is checked (<see cref="IDurableFileSystem.IsLinked"/>).
/// A file that fails the check is rescued whole through the handle, which still reads the inode: the acknowledged
/// bytes that the deletion took are restored too, not only the new batch.
/// </remarks>
internal static class UnlinkedFiles
{
    private const int CopyChunk = 1 << 20;

    /// <summary>
    /// Writes the first <paramref name="length"/> bytes read through <paramref name="orphan"/> to a new file at
    /// <paramref name="fullPath"/> (creating its directories) and returns it; the caller flushes it and syncs its directory.
    /// </summary>
    public static IDurableFile Rescue(IDurableFileSystem files, IDurableFile orphan, string fullPath, long length)
    {
        files.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        var file = files.Create(fullPath);
        var buffer = new byte[(int)Math.Min(CopyChunk, Math.Max(1, length))];
        for (long offset = 0; offset < length;)
        {
            var read = orphan.Read(buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - offset)), offset);
            if (read == 0)
            {
                break;
            }

            file.Write(buffer.AsSpan(0, read), offset);
            offset += read;
        }

        return file;
    }
}
