using System.Text;
using Oxbow.Store.Events;
using Oxbow.Transport;

namespace Oxbow.Store.Partitions;

/// <summary>Placing a batch: each line into its partition file, and the bound on open files.</summary>
internal sealed partial class PartitionStore
{
    private (long Events, long Bytes) Write(ReadOnlySpan<byte> span)
    {
        var runStart = 0;
        var runLength = 0;
        PartitionFile? runFile = null;
        var now = Environment.TickCount64;
        long written = 0;
        Span<char> key = stackalloc char[Oxbow.EventType.MaxLength + 16];
        var lookup = _open.GetAlternateLookup<ReadOnlySpan<char>>();
        // Consecutive events mostly share type, day and hour: such a line goes to the file of the line before it,
        // which was fully checked, without checking and looking up again.
        PartitionFile? lastFile = null;
        ReadOnlySpan<byte> lastType = default, lastDayHour = default;
        long events = 0;
        var offset = 0;
        var reserved = false;
        while (offset < span.Length)
        {
            var newline = span[offset..].IndexOf((byte)'\n');
            var end = newline < 0 ? span.Length : offset + newline + 1;
            var line = span[offset..(newline < 0 ? span.Length : offset + newline)];
            PartitionFile file;
            if (lastFile is not null && CanonicalLine.TryLocate(line, out var located)
                && located.Type.SequenceEqual(lastType) && located.DayAndHour.SequenceEqual(lastDayHour))
            {
                file = lastFile;
            }
            else
            {
                if (!CanonicalLine.TryParse(line, out var canonical))
                {
                    // Validated at ingest, so only damage gets here: keep going, count it.
                    Interlocked.Increment(ref _unreadable);
                    offset = end;
                    continue;
                }

                var keyLength = PartitionKey(canonical, key);
                if (!lookup.TryGetValue(key[..keyLength], out var found))
                {
                    if (!reserved)
                    {
                        ReserveNames(span[offset..]);
                        reserved = true;
                    }

                    // Opening may close the least recently used file to stay within the bound: write out the run
                    // gathered so far first, while its file is still open.
                    written += Append(runFile, span.Slice(runStart, runLength), now);
                    runFile = null;
                    runLength = 0;
                    found = Open(new string(key[..keyLength]));
                }

                found.LastUse = ++_useClock;

                file = lastFile = found;
                lastType = canonical.Type;
                lastDayHour = canonical.DayAndHour;
            }

            if (file != runFile || runStart + runLength != offset)
            {
                written += Append(runFile, span.Slice(runStart, runLength), now);
                runFile = file;
                runStart = offset;
                runLength = 0;
            }

            runLength += end - offset;
            events++;
            offset = end;
        }

        written += Append(runFile, span.Slice(runStart, runLength), now);
        if (newlineMissing(span))
        {
            written += Append(runFile, "\n"u8, now);
        }

        _reserved.Clear();
        return (events, written);

        static bool newlineMissing(ReadOnlySpan<byte> s) => !s.IsEmpty && s[^1] != '\n';
    }

    private long Append(PartitionFile? file, ReadOnlySpan<byte> bytes, long now)
    {
        if (file is null || bytes.IsEmpty)
        {
            return 0;
        }

        if (!_touched.Contains(file))
        {
            _touched.Add(file);
            file.BatchStart = file.Length;
            file.BatchChecksum = 0;
        }

        file.Handle.Write(bytes, file.Length);
        file.Length += bytes.Length;
        file.LastWriteTicks = now;
        file.BatchChecksum = Crc32C.Append(file.BatchChecksum, bytes);
        return bytes.Length;
    }

    private static int PartitionKey(CanonicalLine line, Span<char> key)
    {
        var n = Encoding.ASCII.GetChars(line.Type, key);
        key[n++] = '/';
        n += Encoding.ASCII.GetChars(line.Day, key[n..]);
        key[n++] = '/';
        n += Encoding.ASCII.GetChars(line.Hour, key[n..]);
        return n;
    }

    private PartitionFile Open(string key)
    {
        if (!_reserved.Remove(key, out var relative))
        {
            // Closed by the bound earlier in this batch and needed again: a new name, with its own intent.
            relative = NewName(key);
            WriteIntents([relative]);
        }

        if (_open.Count >= _options.MaxOpenFiles)
        {
            CloseLeastRecentlyUsed();
        }

        var full = FullPath(relative);
        _files.CreateDirectory(Path.GetDirectoryName(full)!);
        var file = new PartitionFile(key, relative, _files.Create(full), 0);
        _unsyncedEntries.Add(relative);
        _open[key] = file;
        _openCount = _open.Count;
        _newHours.Add(relative[..relative.LastIndexOf('/')]);
        return file;
    }

    private string NewName(string key)
    {
        var parts = key.Split('/');
        return StoreLayout.ActiveFile(parts[0], parts[1], parts[2], CollectorId, _nextSequence++);
    }

    /// <summary>
    /// Names every file the rest of the batch will need to open, and makes their intents durable with one fsync, before
    /// the first of them has a byte (so recovery can find and remove a file it never checkpointed). A batch that spans
    /// a thousand hours costs one fsync here, not a thousand.
    /// </summary>
    private void ReserveNames(ReadOnlySpan<byte> rest)
    {
        Span<char> key = stackalloc char[Oxbow.EventType.MaxLength + 16];
        var lookup = _open.GetAlternateLookup<ReadOnlySpan<char>>();
        var reserved = _reserved.GetAlternateLookup<ReadOnlySpan<char>>();
        List<string> names = [];
        while (!rest.IsEmpty)
        {
            var newline = rest.IndexOf((byte)'\n');
            var line = newline < 0 ? rest : rest[..newline];
            rest = newline < 0 ? default : rest[(newline + 1)..];
            if (CanonicalLine.TryParse(line, out var canonical))
            {
                var keyLength = PartitionKey(canonical, key);
                if (!lookup.ContainsKey(key[..keyLength]) && !reserved.ContainsKey(key[..keyLength]))
                {
                    var name = new string(key[..keyLength]);
                    var relative = NewName(name);
                    _reserved[name] = relative;
                    names.Add(relative);
                }
            }
        }

        WriteIntents(names);
    }

    private void WriteIntents(List<string> relatives)
    {
        if (relatives.Count == 0)
        {
            return;
        }

        using (var intents = _files.Exists(_intentsPath) ? _files.Open(_intentsPath) : _files.Create(_intentsPath))
        {
            intents.Write(Encoding.UTF8.GetBytes(string.Concat(relatives.Select(r => r + "\n"))), intents.Length);
            intents.Flush();
            Interlocked.Increment(ref _fsyncs);
        }

        if (!_intentsLinked)
        {
            // The intents file's own name must be durable before a file it names gets a byte.
            _files.SyncDirectory(_stateDirectory);
            _intentsLinked = true;
        }

        _intentsWritten += relatives.Count;
    }

    /// <summary>
    /// Keeps the open files within <see cref="StorageOptions.MaxOpenFiles"/>: closes the least recently used one and
    /// seals it. A file with bytes of the batch being placed is fsynced first and sealed once the batch commits.
    /// </summary>
    private void CloseLeastRecentlyUsed()
    {
        PartitionFile? idle = null, busy = null;
        foreach (var file in _open.Values)
        {
            ref var best = ref file.Length == file.CommittedLength ? ref idle : ref busy;
            if (best is null || file.LastUse < best.LastUse)
            {
                best = file;
            }
        }

        if (idle is not null)
        {
            Close(idle);
            _ = StartSeal(idle.Relative, idle.CommittedLength);
        }
        else if (busy is not null)
        {
            EnsureLinked(busy);
            busy.Handle.Flush();
            Interlocked.Increment(ref _fsyncs);
            Close(busy);
            _closedInBatch.Add(busy);
        }

        Interlocked.Increment(ref _filesEvicted);
    }

    /// <summary>
    /// Makes the directory entries of files created since the last batch durable (and, for a new hour, those of its
    /// directories up to DATA): a file's bytes survive a power cut once flushed, its name only once its directory is.
    /// </summary>
    private void SyncNewEntries()
    {
        if (_unsyncedEntries.Count == 0)
        {
            return;
        }

        HashSet<string> directories = new(StringComparer.Ordinal);
        foreach (var relative in _unsyncedEntries)
        {
            var hour = Path.GetDirectoryName(FullPath(relative))!;
            directories.Add(hour);
            if (_syncedHours.Add(hour))
            {
                // New hour (or its first file since start): its directory and those above it were maybe just created.
                var day = Path.GetDirectoryName(hour)!;
                var type = Path.GetDirectoryName(day)!;
                directories.Add(day);
                directories.Add(type);
                directories.Add(Path.GetDirectoryName(type)!);
            }
        }

        // Deepest first, so no entry is made durable before the directory it lives in.
        foreach (var directory in directories.OrderByDescending(d => d.Length))
        {
            _files.SyncDirectory(directory);
            Interlocked.Increment(ref _fsyncs);
        }

        _unsyncedEntries.Clear();
    }

    /// <summary>A file removed from under the collector is put back, whole, before its batch is acknowledged.</summary>
    private void EnsureLinked(PartitionFile file)
    {
        var full = FullPath(file.Relative);
        if (_files.IsLinked(file.Handle, full))
        {
            return;
        }

        var rescued = UnlinkedFiles.Rescue(_files, file.Handle, full, file.Length);
        file.Handle.Dispose();
        file.Handle = rescued;
        _unsyncedEntries.Add(file.Relative);
        _syncedHours.Remove(Path.GetDirectoryName(full)!); // its directories may have gone too
        Interlocked.Increment(ref _filesRecreated);
        Changed(file.Relative);
        OxbowDaemonLog.Warning("store_file_recreated", "path", file.Relative, "bytes", file.Length, "reason", "removed from outside while open; recreated whole before acknowledging");
    }
}
