namespace Oxbow.Daemon.Spool;

/// <summary>Tells a full disk from other I/O failures.</summary>
internal static class DiskErrors
{
    private const int NoSpace = 28; // ENOSPC
    private const int QuotaExceeded = 122; // EDQUOT
    private const int WindowsDiskFull = unchecked((int)0x80070070); // ERROR_DISK_FULL
    private const int WindowsHandleDiskFull = unchecked((int)0x80070027); // ERROR_HANDLE_DISK_FULL

    /// <summary>Whether <paramref name="ex"/> says the disk, or the user's quota, is full.</summary>
    public static bool IsDiskFull(Exception ex) => ex is IOException io
        && (io.HResult is NoSpace or QuotaExceeded or WindowsDiskFull or WindowsHandleDiskFull
            || io.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase)
            || io.Message.Contains("Disk quota exceeded", StringComparison.OrdinalIgnoreCase));
}
