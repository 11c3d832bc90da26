namespace Oxbow.Store.Files;

/// <summary>Composite operations built from the seam's steps, so a crash test sees (and can stop at) every one of them.</summary>
internal static class DurableFiles
{
    /// <summary>
    /// Replaces a small file so that after a crash it holds the old content or the new, never a mix or nothing: write
    /// a temporary file, flush it, rename it over the old one, sync the directory.
    /// </summary>
    public static void Replace(IDurableFileSystem files, string path, ReadOnlySpan<byte> content)
    {
        var temporary = path + ".tmp";
        using (var file = files.Create(temporary))
        {
            file.Write(content, 0);
            file.Flush();
        }

        files.Rename(temporary, path);
        files.SyncDirectory(Path.GetDirectoryName(path)!);
    }

    /// <summary>The whole file, or null when it does not exist.</summary>
    public static byte[]? ReadAll(IDurableFileSystem files, string path)
    {
        if (!files.Exists(path))
        {
            return null;
        }

        using var file = files.Open(path);
        var content = new byte[file.Length];
        var read = 0;
        while (read < content.Length)
        {
            var n = file.Read(content.AsSpan(read), read);
            if (n == 0)
            {
                return content[..read];
            }

            read += n;
        }

        return content;
    }
}
