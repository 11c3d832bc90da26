namespace Oxbow.IO;

/// <summary>
/// Replaces a small file so a reader sees the old or the new content, never a mix or nothing, even after SIGKILL or a
/// power cut (the directory is synced after the rename, or the rename itself could be undone). Source shared
/// by the daemon (ledger, dedup window, collector id) and <c>oxbow ingest</c> (checkpoints): linked, not a package.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
        DirectorySync.Sync(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }
}
