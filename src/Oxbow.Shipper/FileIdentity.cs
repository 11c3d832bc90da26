using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Oxbow.Shipper;

/// <summary>
/// Which file a path or an open handle is (device and inode), so a follower can tell a rotated-away file from the
/// new one at the same path. .NET has no API for this, so it asks libc.
/// </summary>
internal readonly partial record struct FileIdentity(ulong Device, ulong Inode)
{
    /// <summary>The file at <paramref name="path"/> now, or null when there is none.</summary>
    public static unsafe FileIdentity? Of(string path)
    {
        // struct stat starts with st_dev and st_ino (8 bytes each) on x86-64 and arm64 Linux; 256 bytes covers it all.
        var buffer = stackalloc ulong[32];
        return Stat(path, buffer) == 0 ? new FileIdentity(buffer[0], buffer[1]) : null;
    }

    /// <summary>The file an open handle refers to, wherever it has been renamed to since.</summary>
    public static unsafe FileIdentity Of(SafeFileHandle handle)
    {
        var buffer = stackalloc ulong[32];
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            return FileStat((int)handle.DangerousGetHandle(), buffer) == 0
                ? new FileIdentity(buffer[0], buffer[1])
                : throw new IOException($"fstat failed: errno {Marshal.GetLastPInvokeError()}");
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int Stat(string path, ulong* buffer);

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static unsafe partial int FileStat(int fd, ulong* buffer);
}
