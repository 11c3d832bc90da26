namespace Oxbow.Store.Files;

/// <summary>Tells a full disk from other I/O failures.</summary>
internal static class DiskErrors
{
    private const int NoSpace = 28; // ENOSPC
    private const int QuotaExceeded = 122; // EDQUOT
    private const int WindowsDiskFull = unchecked((int)0x80070070); // ERROR_DISK_FULL
    private const int WindowsHandleDiskFull = unchecked((int)0x80070027); // ERROR_HANDLE_DISK_FULL

    /// <summary>
    /// Logs a failure: a full disk once per <paramref name="fullLogged"/> state (it is a condition that lasts, and
    /// <c>disk_full</c> has been said), anything else each time with its trace.
    /// </summary>
    public static void Log(string what, Exception ex, ref bool fullLogged)
    {
        if (!IsDiskFull(ex))
        {
            OxbowDaemonLog.Error(what, ex);
            return;
        }

        if (!fullLogged)
        {
            fullLogged = true;
            OxbowDaemonLog.Warning(what, "reason", "disk full", "effect", "retried until space is freed");
        }
    }

    /// <summary>Whether <paramref name="ex"/> says the disk, or the user's quota, is full.</summary>
    public static bool IsDiskFull(Exception ex) => ex is IOException io
        && (io.HResult is NoSpace or QuotaExceeded or WindowsDiskFull or WindowsHandleDiskFull
            || io.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase)
            || io.Message.Contains("Disk quota exceeded", StringComparison.OrdinalIgnoreCase));
}
