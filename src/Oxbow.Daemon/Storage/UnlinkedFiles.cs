using Microsoft.Win32.SafeHandles;

namespace Oxbow.Daemon.Storage;

/// <summary>
/// Finds partition files that someone removed (or replaced) while the collector held them open, and puts their
/// content back at their path.
/// </summary>
/// <remarks>
/// After <c>rm</c> of an open file, writes through the collector's handle still succeed: they go into an inode no
/// path leads to, which no query or restart will ever find. An acknowledgement must mean "on disk where the store
/// looks", so before a batch is acknowledged each file it went to is checked: on Linux, <c>/proc/self/fd/N</c> names
/// the path the handle is linked at (with <c> (deleted)</c> once unlinked); elsewhere, the path must still exist.
/// A file that fails the check is rescued whole through the handle, which still reads the inode: the acknowledged
/// bytes that the deletion took are restored too, not only the new batch.
/// </remarks>
internal static class UnlinkedFiles
{
    private const int CopyChunk = 1 << 20;

    /// <summary>True when <paramref name="handle"/> is still the file at <paramref name="fullPath"/>.</summary>
    public static bool IsLinkedAt(SafeFileHandle handle, string fullPath)
    {
        if (OperatingSystem.IsLinux())
        {
            var target = File.ResolveLinkTarget($"/proc/self/fd/{handle.DangerousGetHandle()}", returnFinalTarget: false);
            return target is null || string.Equals(target.FullName, fullPath, StringComparison.Ordinal);
        }

        return File.Exists(fullPath);
    }

    /// <summary>
    /// Writes the first <paramref name="length"/> bytes read through <paramref name="orphan"/> to a new file at
    /// <paramref name="fullPath"/> (creating its directories) and returns its handle; the caller flushes it.
    /// </summary>
    public static SafeFileHandle Rescue(SafeFileHandle orphan, string fullPath, long length)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        var handle = File.OpenHandle(fullPath, FileMode.Create, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        var buffer = new byte[(int)Math.Min(CopyChunk, Math.Max(1, length))];
        for (long offset = 0; offset < length;)
        {
            var read = RandomAccess.Read(orphan, buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - offset)), offset);
            if (read == 0)
            {
                break;
            }

            RandomAccess.Write(handle, buffer.AsSpan(0, read), offset);
            offset += read;
        }

        return handle;
    }
}
