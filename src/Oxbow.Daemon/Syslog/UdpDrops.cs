using System.Globalization;
using System.Net.Sockets;

namespace Oxbow.Daemon.Syslog;

/// <summary>
/// The kernel's count of datagrams it dropped for one UDP socket because its receive buffer was full (Linux
/// <c>/proc/net/udp</c> and <c>udp6</c>, the last column, for the socket's inode). Those datagrams never reach the
/// daemon, so without this they would be lost without a trace.
/// </summary>
internal sealed class UdpDrops
{
    private readonly string? _inode;

    public UdpDrops(Socket socket)
    {
        try
        {
            // /proc/self/fd/N -> "socket:[INODE]"
            var link = new FileInfo($"/proc/self/fd/{socket.Handle.ToInt64().ToString(CultureInfo.InvariantCulture)}").LinkTarget;
            _inode = link is not null && link.StartsWith("socket:[", StringComparison.Ordinal) ? link[8..^1] : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            _inode = null; // not Linux: no count
        }
    }

    /// <summary>Whether the kernel's count can be read here.</summary>
    public bool Available => _inode is not null;

    /// <summary>The kernel's drop count for the socket so far, or null when it cannot be read.</summary>
    public long? Read()
    {
        if (_inode is null)
        {
            return null;
        }

        foreach (var table in (ReadOnlySpan<string>)["/proc/net/udp", "/proc/net/udp6"])
        {
            try
            {
                foreach (var line in File.ReadLines(table).Skip(1))
                {
                    // sl local rem st tx:rx tr:tm retrnsmt uid timeout inode ref pointer drops
                    var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (fields.Length >= 13 && fields[9] == _inode && long.TryParse(fields[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var drops))
                    {
                        return drops;
                    }
                }
            }
            catch (IOException)
            {
            }
        }

        return null;
    }
}
