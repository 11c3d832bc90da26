namespace Oxbow.Shipper;

/// <summary>
/// Follows one path the way <c>tail -F</c> does, by polling, and survives both rotation styles without losing or
/// repeating a line:
/// <list type="bullet">
/// <item><b>Rename</b> (logrotate's default): the open handle still reads the renamed file, so it is read to its end
/// before the follower moves to the new file at the path, which it reads from its start.</item>
/// <item><b>copytruncate</b>: the path keeps its inode but shrinks below the read position. Lines written after the
/// last read and before the truncation are in the copy, so the follower finds the copy (a sibling whose bytes just
/// before the read position match the last bytes it read) and reads them from there first.</item>
/// </list>
/// A line is complete at its newline; an unfinished last line waits, unless the file is rotated away.
/// </summary>
internal sealed class FollowedFile : IDisposable
{
    private const int FingerprintBytes = 64;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly List<byte> _partial = [];
    private FileStream? _stream;
    private byte[] _fingerprint = [];
    private readonly Action<string>? _notice;

    public FollowedFile(string path, string type, Action<string>? notice = null)
    {
        _notice = notice;
        Path = System.IO.Path.GetFullPath(path);
        Type = type;
    }

    public string Path { get; }

    public string Type { get; }

    /// <summary>The file being read (null before it exists).</summary>
    public FileIdentity? Identity { get; private set; }

    /// <summary>Offset of the next byte to read in the current file.</summary>
    public long Position { get; private set; }

    /// <summary>Where reading would resume if every complete line so far were acknowledged: before an unfinished last line.</summary>
    public long LineStart => Position - _partial.Count;

    /// <summary>
    /// Opens the file if it exists and positions it. With a checkpoint of the same file, reading resumes there. With a
    /// checkpoint of another file, the path was rotated while nothing followed it: the rest of the old file (found
    /// beside it by its inode) is returned first, and the new file is read from its start. Without a checkpoint,
    /// reading starts at the end, or at the start when <paramref name="fromStart"/>.
    /// </summary>
    public List<LineRecord> Open(FilePosition? checkpoint, bool fromStart)
    {
        var lines = new List<LineRecord>();
        if (checkpoint is not null && FileIdentity.Of(Path) != checkpoint.Identity)
        {
            DrainRotatedAway(checkpoint, lines);
        }

        if (!TryOpen())
        {
            return lines;
        }

        Position = checkpoint is not null && Identity == checkpoint.Identity && checkpoint.Offset <= _stream!.Length ? checkpoint.Offset
            : checkpoint is not null || fromStart ? 0
            : _stream!.Length;
        return lines;
    }

    private void DrainRotatedAway(FilePosition checkpoint, List<LineRecord> lines)
    {
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        foreach (var candidate in Directory.EnumerateFiles(directory, System.IO.Path.GetFileName(Path) + "?*"))
        {
            if (FileIdentity.Of(candidate) != checkpoint.Identity)
            {
                continue;
            }

            using var old = File.OpenHandle(candidate, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var rest = new byte[Math.Max(0, RandomAccess.GetLength(old) - checkpoint.Offset)];
            var read = RandomAccess.Read(old, rest, checkpoint.Offset);
            Split(rest.AsSpan(0, read), 0, lines);
            FlushPartial(lines);
            BelongToPreviousFile(lines);
            return;
        }
    }

    /// <summary>
    /// Reads everything complete since the last call, following rotation and truncation. Records from before a
    /// rotation come first and carry <see cref="LineRecord.End"/> 0: once they are acknowledged, the new file is to be
    /// read from its start.
    /// </summary>
    /// <param name="rotatedAt">Index of the first record of the new file when the file was replaced or truncated
    /// (a pending multi-line record ends there), else -1.</param>
    public List<LineRecord> Poll(out int rotatedAt)
    {
        rotatedAt = -1;
        var lines = new List<LineRecord>();
        if (_stream is null)
        {
            // The path did not exist at start (or between a rotation and the new file): a new file is read from its start.
            if (TryOpen())
            {
                Position = 0;
                ReadToEnd(lines);
            }

            return lines;
        }

        ReadToEnd(lines);
        var now = FileIdentity.Of(Path);
        if (now is null)
        {
            return lines; // renamed away and not yet recreated: keep reading the old file
        }

        if (now != Identity)
        {
            ReadToEnd(lines); // the last lines written before the writer reopened
            FlushPartial(lines);
            rotatedAt = BelongToPreviousFile(lines);
            _notice?.Invoke($"{Path} was replaced (rotated); following the new file from its start");
            Close();
            if (TryOpen())
            {
                Position = 0;
                ReadToEnd(lines);
            }

            return lines;
        }

        if (new FileInfo(Path).Length < Position || !StillHolds())
        {
            RecoverFromCopy(lines);
            FlushPartial(lines);
            rotatedAt = BelongToPreviousFile(lines);
            Position = 0;
            _fingerprint = [];
            ReadToEnd(lines);
        }

        return lines;
    }

    /// <summary>
    /// Whether the bytes just before the read position are still the ones read there. A file truncated and then
    /// written past the old position is as long as before, so the length alone cannot tell.
    /// </summary>
    private bool StillHolds()
    {
        if (_fingerprint.Length == 0)
        {
            return true;
        }

        Span<byte> probe = stackalloc byte[FingerprintBytes];
        probe = probe[.._fingerprint.Length];
        return RandomAccess.Read(_stream!.SafeFileHandle, probe, Position - probe.Length) == probe.Length && probe.SequenceEqual(_fingerprint);
    }

    private static int BelongToPreviousFile(List<LineRecord> lines)
    {
        for (var i = 0; i < lines.Count; i++)
        {
            lines[i] = lines[i] with { End = 0 };
        }

        return lines.Count;
    }

    private bool TryOpen()
    {
        try
        {
            _stream = new FileStream(Path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                BufferSize = 0,
            });
            Identity = FileIdentity.Of(_stream.SafeFileHandle);
            _partial.Clear();
            _fingerprint = [];
            return true;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            _stream = null;
            return false;
        }
    }

    private void ReadToEnd(List<LineRecord> lines)
    {
        while (true)
        {
            var read = RandomAccess.Read(_stream!.SafeFileHandle, _buffer, Position);
            if (read == 0)
            {
                return;
            }

            Split(_buffer.AsSpan(0, read), Position, lines);
            Position += read;
            Remember(_buffer.AsSpan(0, read));
        }
    }

    private void Split(ReadOnlySpan<byte> chunk, long chunkStart, List<LineRecord> lines)
    {
        var at = 0;
        while (at < chunk.Length)
        {
            var newline = chunk[at..].IndexOf((byte)'\n');
            if (newline < 0)
            {
                _partial.AddRange(chunk[at..]);
                return;
            }

            byte[] line;
            if (_partial.Count > 0)
            {
                _partial.AddRange(chunk.Slice(at, newline));
                line = [.. _partial];
                _partial.Clear();
            }
            else
            {
                line = chunk.Slice(at, newline).ToArray();
            }

            at += newline + 1;
            lines.Add(new LineRecord(line, chunkStart + at));
        }
    }

    private void FlushPartial(List<LineRecord> lines)
    {
        if (_partial.Count > 0)
        {
            lines.Add(new LineRecord([.. _partial], Position));
            _partial.Clear();
        }
    }

    /// <summary>Keeps the last bytes read: they identify the copy that copytruncate made.</summary>
    private void Remember(ReadOnlySpan<byte> chunk)
    {
        var keep = Math.Min(FingerprintBytes, _fingerprint.Length + chunk.Length);
        var combined = new byte[keep];
        var fromChunk = Math.Min(chunk.Length, keep);
        _fingerprint.AsSpan(_fingerprint.Length - (keep - fromChunk)).CopyTo(combined);
        chunk[^fromChunk..].CopyTo(combined.AsSpan(keep - fromChunk));
        _fingerprint = combined;
    }

    private void RecoverFromCopy(List<LineRecord> lines)
    {
        if (_fingerprint.Length == 0)
        {
            return;
        }

        var directory = System.IO.Path.GetDirectoryName(Path)!;
        var name = System.IO.Path.GetFileName(Path);
        var candidates = Directory.EnumerateFiles(directory, name + "*")
            .Where(f => f != Path && !f.EndsWith(".gz", StringComparison.Ordinal))
            .OrderByDescending(File.GetLastWriteTimeUtc);
        foreach (var candidate in candidates)
        {
            try
            {
                using var copy = File.OpenHandle(candidate, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                var length = RandomAccess.GetLength(copy);
                if (length < Position)
                {
                    continue;
                }

                var probe = new byte[_fingerprint.Length];
                if (RandomAccess.Read(copy, probe, Position - probe.Length) != probe.Length || !probe.AsSpan().SequenceEqual(_fingerprint))
                {
                    continue;
                }

                var missed = new byte[length - Position];
                var read = RandomAccess.Read(copy, missed, Position);
                var before = lines.Count;
                Split(missed.AsSpan(0, read), Position, lines);
                _notice?.Invoke($"{Path} was truncated; {lines.Count - before} lines written before that were read from {candidate}");
                return;
            }
            catch (IOException)
            {
                // A candidate that vanished or cannot be read is not the copy.
            }
        }
    }

    private void Close()
    {
        _stream?.Dispose();
        _stream = null;
    }

    public void Dispose() => Close();
}
