using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using Oxbow.Daemon.Ingest;
using Oxbow.Daemon.Spool;
using Oxbow.Daemon.Threading;
using Oxbow.IO;

namespace Oxbow.Daemon.Storage;

/// <summary>
/// The collector's store: drains the spool into <c>DATA/type=&lt;type&gt;/day=YYYY-MM-DD/hour=HH/</c> by each
/// event's <c>end</c> time (UTC), as NDJSON files named <c>&lt;collector-id&gt;-&lt;sequence&gt;.ndjson</c> that are
/// sealed into <c>.ndjson.gz</c> when large or idle.
/// </summary>
/// <remarks>
/// Exactly-once after a crash: the spool ledger holds, together with the spool position, the committed length of
/// every open file. On restart each file is cut back to that length and the spool is replayed from that position;
/// files created after the last checkpoint are listed in an intent log before their first byte, and deleted. The
/// type name was validated at ingest (<c>[a-z0-9_.-]</c>, no empty segment) and day and hour are digits, so a path
/// can never leave DATA.
/// </remarks>
public sealed class PartitionStore
{
    private readonly StorageOptions _options;
    private readonly SpoolLog _spool;
    private readonly string _stateDirectory;
    private readonly string _intentsPath;
    private readonly Dictionary<string, PartitionFile> _open = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _sealing = new(StringComparer.Ordinal);
    private readonly object _sealLock = new();
    private readonly List<Task> _sealTasks = [];
    private readonly System.Collections.Concurrent.ConcurrentQueue<TaskCompletionSource> _sealRequests = new();
    private LowPriorityWorker? _sealer;
    private long _nextSequence = 1;
    private long _storedEvents;
    private long _storedBytes;
    private long _sealedFiles;
    private long _unreadable;

    /// <summary>Prepares the store; <see cref="RunAsync"/> recovers and drains.</summary>
    public PartitionStore(StorageOptions options, SpoolLog spool)
    {
        _options = options;
        _spool = spool;
        _stateDirectory = Path.Combine(options.DataDirectory, "_oxbow");
        Directory.CreateDirectory(_stateDirectory);
        _intentsPath = Path.Combine(_stateDirectory, "store-intents");
        CollectorId = LoadOrCreateId(Path.Combine(_stateDirectory, "collector-id"), options.CollectorName);
    }

    /// <summary>This collector's id, part of every file name so collectors can share a bucket.</summary>
    public string CollectorId { get; }

    /// <summary>Counters for stats.</summary>
    public StoreStats Stats
    {
        get
        {
            lock (_sealLock)
            {
                return new StoreStats(Interlocked.Read(ref _storedEvents), Interlocked.Read(ref _storedBytes), Volatile.Read(ref _openCount), _sealedFiles, Interlocked.Read(ref _unreadable));
            }
        }
    }

    private int _openCount;

    /// <summary>Recovers, then moves events from the spool into partitions until cancelled; then checkpoints.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // Sealing gzips whole files: it yields the CPU to ingest rather than slow acknowledgements down.
        using var sealer = _sealer = new LowPriorityWorker("oxbow-seal");
        Recover();
        var position = _spool.CommittedPosition;
        long records = 0, events = 0;
        var dirty = false;
        var lastCheckpoint = Environment.TickCount64;
        long bytesSinceCheckpoint = 0;
        while (true)
        {
            var record = cancellationToken.IsCancellationRequested ? null : _spool.TryRead(ref position);
            if (record is not null)
            {
                bytesSinceCheckpoint += Write(record);
                records++;
                events += record.EventCount;
                dirty = true;
            }

            var due = Environment.TickCount64 - lastCheckpoint >= (long)_options.CheckpointInterval.TotalMilliseconds;
            if (dirty && (record is null || due || bytesSinceCheckpoint >= 64L << 20))
            {
                Checkpoint(position, records, events);
                records = events = bytesSinceCheckpoint = 0;
                dirty = false;
                lastCheckpoint = Environment.TickCount64;
                SealDue();
            }

            if (record is null)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                SealDue();
                ServeSealRequests();
                try
                {
                    await _spool.WaitForDataAsync(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        while (_sealRequests.TryDequeue(out var request))
        {
            request.TrySetCanceled(CancellationToken.None);
        }

        Task[] seals;
        lock (_sealLock)
        {
            seals = [.. _sealTasks];
        }

        await Task.WhenAll(seals).ConfigureAwait(false);
        Checkpoint(position, 0, 0);
        foreach (var file in _open.Values)
        {
            file.Handle.Dispose();
        }

        _open.Clear();
    }

    private long Write(SpoolRecord record)
    {
        var data = record.Data;
        var span = data.Span;
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
                    found = Open(new string(key[..keyLength]));
                }

                file = lastFile = found;
                lastType = canonical.Type;
                lastDayHour = canonical.DayAndHour;
            }

            if (file != runFile || runStart + runLength != offset)
            {
                written += Flush(runFile, span.Slice(runStart, runLength), now);
                runFile = file;
                runStart = offset;
                runLength = 0;
            }

            runLength += end - offset;
            events++;
            offset = end;
        }

        Interlocked.Add(ref _storedEvents, events);

        written += Flush(runFile, span.Slice(runStart, runLength), now);
        if (newlineMissing(span))
        {
            written += Flush(runFile, "\n"u8, now);
        }

        Interlocked.Add(ref _storedBytes, written);
        return written;

        static bool newlineMissing(ReadOnlySpan<byte> s) => !s.IsEmpty && s[^1] != '\n';
    }

    private static long Flush(PartitionFile? file, ReadOnlySpan<byte> bytes, long now)
    {
        if (file is null || bytes.IsEmpty)
        {
            return 0;
        }

        RandomAccess.Write(file.Handle, bytes, file.Length);
        file.Length += bytes.Length;
        file.Dirty = true;
        file.LastWriteTicks = now;
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
        var parts = key.Split('/');
        var directory = $"type={parts[0]}/day={parts[1]}/hour={parts[2]}";
        var relative = $"{directory}/{CollectorId}-{_nextSequence++.ToString("D10", CultureInfo.InvariantCulture)}.ndjson";
        var full = FullPath(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        // The intent is durable before the file has a byte, so recovery can find and remove a file it never checkpointed.
        using (var intents = new FileStream(_intentsPath, FileMode.Append, FileAccess.Write, FileShare.Read))
        {
            intents.Write(Encoding.UTF8.GetBytes(relative + "\n"));
            intents.Flush(flushToDisk: true);
        }

        var file = new PartitionFile(key, relative, File.OpenHandle(full, FileMode.Create, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete), 0);
        _open[key] = file;
        _openCount = _open.Count;
        return file;
    }

    private string FullPath(string relative)
    {
        var root = Path.GetFullPath(_options.DataDirectory);
        var full = Path.GetFullPath(Path.Combine(root, relative));
        // Defence in depth: type names are validated at ingest, but no path is ever used unless it is under DATA.
        return full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? full
            : throw new InvalidOperationException($"refusing path outside the data directory: {relative}");
    }

    private void Checkpoint(SpoolPosition position, long records, long events)
    {
        foreach (var file in _open.Values)
        {
            if (file.Dirty)
            {
                RandomAccess.FlushToDisk(file.Handle);
                file.Dirty = false;
                file.CommittedLength = file.Length;
            }
        }

        KeyValuePair<string, long>[] sealing;
        lock (_sealLock)
        {
            sealing = [.. _sealing];
        }

        _spool.Commit(position, records, events, json =>
        {
            json.WriteStartObject();
            json.WriteNumber("next", _nextSequence);
            json.WriteStartArray("open");
            foreach (var file in _open.Values)
            {
                json.WriteStartObject();
                json.WriteString("path", file.Relative);
                json.WriteNumber("length", file.CommittedLength);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("sealing");
            foreach (var (relative, length) in sealing)
            {
                json.WriteStartObject();
                json.WriteString("path", relative);
                json.WriteNumber("length", length);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        });

        // Every file named in the intents is now in the ledger.
        File.WriteAllBytes(_intentsPath, []);
    }

    private void SealDue()
    {
        var now = Environment.TickCount64;
        foreach (var file in _open.Values.ToArray())
        {
            if (file.Dirty)
            {
                continue;
            }

            var idle = now - file.LastWriteTicks >= (long)_options.SealAfterIdle.TotalMilliseconds;
            if (idle || file.Length >= _options.MaxFileBytes)
            {
                _open.Remove(file.Key);
                _openCount = _open.Count;
                file.Handle.Dispose();
                StartSeal(file.Relative, file.CommittedLength);
            }
        }
    }

    /// <summary>
    /// Seals every open file of an hour that has ended (so <c>oxbow store zip</c> can compact it now rather than after
    /// the idle timeout). Served when the store next catches up with the spool; completes when the seals are done.
    /// </summary>
    public Task SealClosedHoursAsync(CancellationToken cancellationToken)
    {
        var request = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _sealRequests.Enqueue(request);
        return request.Task.WaitAsync(cancellationToken);
    }

    private void ServeSealRequests()
    {
        if (_sealRequests.IsEmpty)
        {
            return;
        }

        var currentHour = DateTime.UtcNow.ToString("yyyy-MM-dd'/'HH", CultureInfo.InvariantCulture);
        List<Task> seals = [];
        foreach (var file in _open.Values.ToArray())
        {
            // Key is type/day/hour; day and hour sort as text.
            var dayHour = file.Key[(file.Key.IndexOf('/') + 1)..];
            if (!file.Dirty && string.CompareOrdinal(dayHour, currentHour) < 0)
            {
                _open.Remove(file.Key);
                _openCount = _open.Count;
                file.Handle.Dispose();
                seals.Add(StartSeal(file.Relative, file.CommittedLength));
            }
        }

        var done = Task.WhenAll(seals);
        while (_sealRequests.TryDequeue(out var request))
        {
            done.ContinueWith(_ => request.TrySetResult(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    private Task StartSeal(string relative, long length)
    {
        lock (_sealLock)
        {
            _sealing[relative] = length;
            _sealTasks.RemoveAll(t => t.IsCompleted);
            var task = _sealer!.Run(() => Seal(relative));
            _sealTasks.Add(task);
            return task;
        }
    }

    private void Seal(string relative)
    {
        var source = FullPath(relative);
        var target = source + ".gz";
        var temporary = target + ".tmp";
        try
        {
            using (var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
            using (var output = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
                {
                    input.CopyTo(gzip);
                }

                output.Flush(flushToDisk: true);
            }

            File.Move(temporary, target, overwrite: true);
            File.Delete(source);
            lock (_sealLock)
            {
                _sealing.Remove(relative);
                _sealedFiles++;
            }
        }
        catch (IOException ex)
        {
            // Left in the sealing list: the next start retries it.
            OxbowDaemonLog.Error("store_seal_failed", ex);
        }
    }

    private void Recover()
    {
        var state = _spool.ConsumerState;
        HashSet<string> known = new(StringComparer.Ordinal);
        if (state is { } s)
        {
            _nextSequence = s.GetProperty("next").GetInt64();
            foreach (var entry in s.GetProperty("open").EnumerateArray())
            {
                var relative = entry.GetProperty("path").GetString()!;
                known.Add(relative);
                var length = entry.GetProperty("length").GetInt64();
                var full = FullPath(relative);
                if (File.Exists(full + ".gz"))
                {
                    File.Delete(full);
                    continue;
                }

                if (!File.Exists(full))
                {
                    continue;
                }

                var handle = File.OpenHandle(full, FileMode.Open, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
                RandomAccess.SetLength(handle, length);
                var key = KeyOf(relative);
                _open[key] = new PartitionFile(key, relative, handle, length) { CommittedLength = length, LastWriteTicks = Environment.TickCount64 };
            }

            foreach (var entry in s.GetProperty("sealing").EnumerateArray())
            {
                var relative = entry.GetProperty("path").GetString()!;
                known.Add(relative);
                var full = FullPath(relative);
                File.Delete(full + ".gz.tmp");
                if (File.Exists(full + ".gz"))
                {
                    File.Delete(full);
                }
                else if (File.Exists(full))
                {
                    using (var handle = File.OpenHandle(full, FileMode.Open, FileAccess.ReadWrite))
                    {
                        RandomAccess.SetLength(handle, entry.GetProperty("length").GetInt64());
                    }

                    StartSeal(relative, entry.GetProperty("length").GetInt64());
                }
            }
        }

        if (File.Exists(_intentsPath))
        {
            foreach (var relative in File.ReadAllLines(_intentsPath))
            {
                if (relative.Length > 0 && !known.Contains(relative) && relative.StartsWith("type=", StringComparison.Ordinal))
                {
                    // Created after the last checkpoint: its events are replayed from the spool.
                    var full = FullPath(relative);
                    File.Delete(full);
                    File.Delete(full + ".gz.tmp");
                }
            }

            File.WriteAllBytes(_intentsPath, []);
        }

        _openCount = _open.Count;
    }

    private static string KeyOf(string relative)
    {
        var parts = relative.Split('/');
        return $"{parts[0][5..]}/{parts[1][4..]}/{parts[2][5..]}";
    }

    /// <summary>
    /// The collector's id: its name (lower-case letters, digits and <c>_</c>) and 6 random hex digits, made once and
    /// kept. It starts every file name, so files from collectors that share a bucket never collide.
    /// </summary>
    private static string LoadOrCreateId(string path, string name)
    {
        if (File.Exists(path))
        {
            var existing = File.ReadAllText(path).Trim();
            if (existing.Length > 0)
            {
                return existing;
            }
        }

        var cleanName = new string([.. name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').Take(32)]);
        var id = (cleanName.Length > 0 ? cleanName + "_" : "") + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        AtomicFile.Write(path, Encoding.ASCII.GetBytes(id + "\n"));
        return id;
    }

    private sealed class PartitionFile(string key, string relative, SafeFileHandle handle, long length)
    {
        public string Key { get; } = key;

        public string Relative { get; } = relative;

        public SafeFileHandle Handle { get; } = handle;

        public long Length { get; set; } = length;

        public long CommittedLength { get; set; }

        public bool Dirty { get; set; }

        public long LastWriteTicks { get; set; }
    }
}

/// <summary>Store counters.</summary>
public sealed record StoreStats(long Events, long Bytes, int OpenFiles, long SealedFiles, long UnreadableLines);
