using Oxbow.Store.Files;

namespace Oxbow.Daemon.Tests.Support;

/// <summary>
/// An in-memory file system that keeps POSIX's durability promises and no more, and can crash or fail at its Nth
/// operation. Bytes written survive a crash only once their file is flushed; a creation, rename or delete only once
/// its directory is synced. A crash keeps, of each file's unflushed appends, a random prefix (possibly zeros instead
/// of data, as a delayed allocation can leave), and loses every unsynced change of a directory.
/// </summary>
/// <remarks>
/// Code sees the file system through a <see cref="Mount"/>: after a crash every operation of that mount, and of files
/// opened through it, throws, as if its process were gone; <see cref="Restart"/> then starts a new one.
/// </remarks>
internal sealed class CrashingFileSystem(Random random)
{
    private readonly Dictionary<string, Inode> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Inode> _durableNames = new(StringComparer.Ordinal);
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal);
    private long _crashAt = long.MaxValue;
    private long _failAt = long.MaxValue;
    private int _failWith;
    private int _generation;

    /// <summary>Operations so far, over every mount.</summary>
    public long Operations { get; private set; }

    public bool Crashed { get; private set; }

    /// <summary>Injected failures so far.</summary>
    public int Failures { get; private set; }

    /// <summary>The file system as one process sees it until the next crash.</summary>
    public IDurableFileSystem Mount() => new View(this, _generation);

    /// <summary>Crashes at the operation <paramref name="after"/> operations from now (1 = the next one).</summary>
    public void CrashAfter(int after) => _crashAt = Operations + after;

    /// <summary>Fails the operation <paramref name="after"/> operations from now with ENOSPC (28) or EIO (5).</summary>
    public void FailAfter(int after, int errno)
    {
        _failAt = Operations + after;
        _failWith = errno;
    }

    public void Disarm() => _crashAt = _failAt = long.MaxValue;

    /// <summary>A power cut (if nothing crashed yet) and a fresh start: only what was made durable is left.</summary>
    public void Restart()
    {
        Disarm();
        _names.Clear();
        foreach (var (path, inode) in _durableNames)
        {
            _names[path] = inode;
        }

        foreach (var inode in _names.Values.Distinct())
        {
            inode.Survive(random);
        }

        Crashed = false;
        _generation++;
    }

    /// <summary>The files whose names end with <paramref name="suffix"/> and their sizes, as the current process sees them.</summary>
    public IReadOnlyList<(string Path, long Length)> Files(string suffix) =>
        [.. _names.Where(n => n.Key.EndsWith(suffix, StringComparison.Ordinal)).Select(n => (n.Key, (long)n.Value.Current.Count))];

    /// <summary>A file's bytes as the current process sees them, read without counting as an operation (for checks).</summary>
    public byte[] Content(string path) => [.. _names[path].Current];

    /// <summary>What was injected where: "crash at 12: Flush /spool/…".</summary>
    public List<string> Injected { get; } = [];

    private void Step(int generation, [System.Runtime.CompilerServices.CallerMemberName] string operation = "")
    {
        if (Crashed || generation != _generation)
        {
            throw new SimulatedCrashException();
        }

        Operations++;
        if (Operations >= _crashAt)
        {
            Crashed = true;
            Injected.Add($"crash at {Operations}: {operation}");
            throw new SimulatedCrashException();
        }

        if (Operations == _failAt)
        {
            Failures++;
            Injected.Add($"errno {_failWith} at {Operations}: {operation}");
            throw new IOException(_failWith == 28 ? "No space left on device (simulated)" : "Input/output error (simulated)") { HResult = _failWith };
        }
    }

    private static string DirectoryOf(string path) => Path.GetDirectoryName(path)!;

    /// <summary>A file's bytes: what was written, and what a crash would leave.</summary>
    private sealed class Inode
    {
        public List<byte> Current { get; } = [];

        public byte[] Durable { get; set; } = [];

        public void Survive(Random random)
        {
            var current = Current.ToArray();
            var kept = Durable;
            var appended = current.Length > Durable.Length && current.AsSpan(0, Durable.Length).SequenceEqual(Durable);
            if (appended && random.Next(3) > 0)
            {
                var extra = random.Next(current.Length - Durable.Length + 1);
                kept = current[..(Durable.Length + extra)];
                if (random.Next(4) == 0)
                {
                    kept.AsSpan(Durable.Length).Clear();
                }
            }

            Current.Clear();
            Current.AddRange(kept);
            Durable = kept;
        }
    }

    private sealed class View(CrashingFileSystem fs, int generation) : IDurableFileSystem
    {
        public void CreateDirectory(string path)
        {
            fs.Step(generation);
            fs._directories.Add(path);
        }

        public IReadOnlyList<string> ListFiles(string directory, string suffix)
        {
            fs.Step(generation);
            return [.. fs._names.Keys.Where(p => DirectoryOf(p) == directory && p.EndsWith(suffix, StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
        }

        public bool Exists(string path)
        {
            fs.Step(generation);
            return fs._names.ContainsKey(path);
        }

        public IDurableFile Create(string path)
        {
            fs.Step(generation);
            if (fs._names.TryGetValue(path, out var existing))
            {
                existing.Current.Clear(); // O_TRUNC: the same file, emptied; durable once flushed
                return new OpenFile(fs, generation, existing);
            }

            var inode = new Inode();
            fs._names[path] = inode;
            return new OpenFile(fs, generation, inode);
        }

        public IDurableFile Open(string path)
        {
            fs.Step(generation);
            return fs._names.TryGetValue(path, out var inode) ? new OpenFile(fs, generation, inode) : throw new FileNotFoundException("no such file (simulated)", path);
        }

        public void Delete(string path)
        {
            fs.Step(generation);
            fs._names.Remove(path);
        }

        public void Rename(string from, string to)
        {
            fs.Step(generation);
            if (!fs._names.Remove(from, out var inode))
            {
                throw new FileNotFoundException("no such file (simulated)", from);
            }

            fs._names[to] = inode;
        }

        public bool IsLinked(IDurableFile file, string path)
        {
            fs.Step(generation);
            return fs._names.TryGetValue(path, out var inode) && file is OpenFile open && ReferenceEquals(open.Inode, inode);
        }

        public void SyncDirectory(string directory)
        {
            fs.Step(generation);
            foreach (var path in fs._durableNames.Keys.Where(p => DirectoryOf(p) == directory).ToList())
            {
                fs._durableNames.Remove(path);
            }

            foreach (var (path, inode) in fs._names.Where(n => DirectoryOf(n.Key) == directory))
            {
                fs._durableNames[path] = inode;
            }
        }
    }

    private sealed class OpenFile(CrashingFileSystem fs, int generation, Inode inode) : IDurableFile
    {
        public Inode Inode => inode;

        public long Length
        {
            get
            {
                fs.Step(generation);
                return inode.Current.Count;
            }
        }

        public int Read(Span<byte> buffer, long offset)
        {
            fs.Step(generation);
            var available = (int)Math.Max(0, Math.Min(buffer.Length, inode.Current.Count - offset));
            for (var i = 0; i < available; i++)
            {
                buffer[i] = inode.Current[(int)offset + i];
            }

            return available;
        }

        public void Write(ReadOnlySpan<byte> data, long offset)
        {
            fs.Step(generation);
            Put(data, offset);
        }

        public void Write(IReadOnlyList<ReadOnlyMemory<byte>> buffers, long offset)
        {
            fs.Step(generation);
            foreach (var buffer in buffers)
            {
                Put(buffer.Span, offset);
                offset += buffer.Length;
            }
        }

        public void Flush()
        {
            fs.Step(generation);
            inode.Durable = [.. inode.Current];
        }

        public void SetLength(long length)
        {
            fs.Step(generation);
            if (length < inode.Current.Count)
            {
                inode.Current.RemoveRange((int)length, inode.Current.Count - (int)length);
            }
            else
            {
                inode.Current.AddRange(new byte[length - inode.Current.Count]);
            }
        }

        public void Dispose()
        {
            // Closing makes nothing durable, and a crashed process closes nothing.
        }

        private void Put(ReadOnlySpan<byte> data, long offset)
        {
            if (offset > inode.Current.Count)
            {
                inode.Current.AddRange(new byte[offset - inode.Current.Count]);
            }

            for (var i = 0; i < data.Length; i++)
            {
                var at = (int)offset + i;
                if (at < inode.Current.Count)
                {
                    inode.Current[at] = data[i];
                }
                else
                {
                    inode.Current.Add(data[i]);
                }
            }
        }
    }
}

/// <summary>What every operation of a crashed process's mount throws: the process is gone.</summary>
internal sealed class SimulatedCrashException() : IOException("the process crashed here (simulated power cut)");
