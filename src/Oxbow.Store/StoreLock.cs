namespace Oxbow.Store;

/// <summary>
/// An exclusive lock on a file under <c>DATA/_oxbow/</c> (an advisory <c>flock</c>, released by the kernel when the
/// process dies, so a SIGKILL never leaves it stuck). A running daemon holds <c>daemon.lock</c>, and compactions
/// hold <c>compaction.lock</c>.
/// </summary>
public sealed class StoreLock : IDisposable
{
    /// <summary>The lock a running daemon (collector or agent) holds on its data directory.</summary>
    public const string Daemon = "daemon.lock";

    /// <summary>The lock a running compaction holds.</summary>
    public const string Compaction = "compaction.lock";

    private readonly FileStream _stream;

    private StoreLock(FileStream stream) => _stream = stream;

    /// <summary>Takes the lock, or returns null when another process holds it.</summary>
    public static StoreLock? TryAcquire(string dataDirectory, string name)
    {
        var directory = Path.Combine(dataDirectory, "_oxbow");
        Directory.CreateDirectory(directory);
        try
        {
            return new StoreLock(new FileStream(Path.Combine(directory, name), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();
}
