using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Oxbow.Store.Files;
using Oxbow.Store.Listing;
using Oxbow.Transport;

namespace Oxbow.Store.Partitions;

/// <summary>Recovery at start-up: files cut back to what was acknowledged, unacknowledged files removed, recent batches checked.</summary>
internal sealed partial class PartitionStore
{
    /// <inheritdoc/>
    public void Recover(JsonElement? state, IReadOnlyList<RecoveredBatch> batches)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // The length each file had when its last acknowledged batch was in it.
        Dictionary<string, long> lengths = new(StringComparer.Ordinal);
        HashSet<string> sealing = new(StringComparer.Ordinal);
        if (state is { } s)
        {
            _nextSequence = s.GetProperty("next").GetInt64();
            foreach (var entry in s.GetProperty("open").EnumerateArray())
            {
                lengths[entry.GetProperty("path").GetString()!] = entry.GetProperty("length").GetInt64();
            }

            foreach (var entry in s.GetProperty("sealing").EnumerateArray())
            {
                var relative = entry.GetProperty("path").GetString()!;
                sealing.Add(relative);
                lengths.Remove(relative);
                var full = FullPath(relative);
                _files.Delete(full + ".gz.tmp");
                if (_files.Exists(full + ".gz"))
                {
                    _files.Delete(full);
                }
                else if (_files.Exists(full))
                {
                    long length;
                    using (var handle = _files.Open(full))
                    {
                        length = CutToAcknowledged(handle, relative, entry.GetProperty("length").GetInt64());
                    }

                    StartSeal(relative, length);
                }
            }
        }

        List<PlacedRegion> regions = [];
        foreach (var batch in batches)
        {
            if (batch.Placed)
            {
                foreach (var region in PlacementRecord.Read(batch.Data.Span))
                {
                    if (!sealing.Contains(region.Path))
                    {
                        lengths[region.Path] = Math.Max(region.End, lengths.GetValueOrDefault(region.Path));
                        regions.Add(region);
                    }
                }
            }
        }

        if (DurableFiles.ReadAll(_files, _intentsPath) is { } intents)
        {
            var named = IntentNames(intents, out var torn);
            if (torn)
            {
                // A power cut during an append can leave a torn or zeroed tail; names appended after it would share
                // its line and be missed. The intents are rewritten to their whole names before anything else is.
                // The model test found this.
                DurableFiles.Replace(_files, _intentsPath, Encoding.UTF8.GetBytes(string.Concat(named.Select(n => n + "\n"))));
            }

            foreach (var relative in named)
            {
                // Names are never reused, even those of files removed here.
                _nextSequence = Math.Max(_nextSequence, SequenceOf(relative) + 1);
                if (!lengths.ContainsKey(relative) && !sealing.Contains(relative))
                {
                    // Created since the last checkpoint, and no acknowledged batch is in it.
                    var full = FullPath(relative);
                    if (_files.Exists(full))
                    {
                        using (var file = _files.Open(full))
                        {
                            _discardedBytes += file.Length;
                        }

                        _discardedFiles++;
                        DeleteDurably(full);
                    }

                    _files.Delete(full + ".gz.tmp");
                }
            }

            _intentsWritten = 1; // emptied at the first checkpoint, once the ledger names what it keeps
        }

        // Oldest first, so that of two files for one partition the newer stays open and the older is sealed.
        foreach (var (relative, acknowledged) in lengths.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            _nextSequence = Math.Max(_nextSequence, SequenceOf(relative) + 1);
            var full = FullPath(relative);
            if (_files.Exists(full + ".gz"))
            {
                _files.Delete(full);
                continue;
            }

            if (!_files.Exists(full))
            {
                continue;
            }

            var handle = _files.Open(full);
            var length = CutToAcknowledged(handle, relative, acknowledged);
            var key = KeyOf(relative);
            if (_open.TryGetValue(key, out var older))
            {
                Close(older);
                StartSeal(older.Relative, older.CommittedLength);
            }

            _open[key] = new PartitionFile(key, relative, handle, length) { CommittedLength = length, LastWriteTicks = Environment.TickCount64, LastUse = SequenceOf(relative) };
            if (_open.Count > _options.MaxOpenFiles)
            {
                // Restart needs no more descriptors than running: the oldest files beyond the bound are sealed.
                CloseLeastRecentlyUsed();
            }
        }

        _openCount = _open.Count;
        VerifyRegions(regions);
        if (_discardedBytes > 0)
        {
            // Normal after a kill mid-batch: those batches were never acknowledged, and their senders resend them.
            OxbowDaemonLog.Warning("store_unacknowledged_data_discarded", "bytes", _discardedBytes, "files_removed", _discardedFiles);
        }

        // A spool from before placements holds the data itself: store it now, once.
        var legacy = false;
        foreach (var batch in batches)
        {
            if (!batch.Placed)
            {
                _ = Place(batch.Data);
                legacy = true;
            }
        }

        if (legacy)
        {
            Flush();
            Committed();
        }

        // Files were cut back, removed and sealed above: a long-lived reader of the store lists it again.
        _changed([StoreChanges.Everything]);
        _recoveryTime = clock.Elapsed;
    }

    /// <summary>
    /// Cuts a file back to <paramref name="acknowledged"/> bytes and counts what was cut; returns the length it now has.
    /// A file shorter than that lost acknowledged bytes (the disk or something outside Oxbow): it is never padded,
    /// which would put zeros among the events, but cut to its last whole line (so the next batch starts a line of its
    /// own), said loudly and counted.
    /// </summary>
    private long CutToAcknowledged(IDurableFile handle, string relative, long acknowledged)
    {
        // Each cut is flushed: an unflushed truncation can be undone by a power cut, bringing back bytes that a
        // batch placed after the cut would then have to overwrite exactly.
        var actual = handle.Length;
        if (actual < acknowledged)
        {
            var whole = EndOfLastLine(handle, actual);
            if (whole < actual)
            {
                handle.SetLength(whole);
                handle.Flush();
            }

            _missingBytes += acknowledged - whole;
            OxbowDaemonLog.Warning("store_file_shorter_than_acknowledged", "path", relative, "length", whole, "acknowledged", acknowledged);
            return whole;
        }

        if (actual > acknowledged)
        {
            _discardedBytes += actual - acknowledged;
            handle.SetLength(acknowledged);
            handle.Flush();
        }

        return acknowledged;
    }

    /// <summary>
    /// Checks the acknowledged batches that only the spool's records vouch for (those since the last checkpoint)
    /// against their checksums. A mismatch is damage to acknowledged data: there is nothing to repair it from, so it is
    /// kept (a query skips lines that do not parse), logged with where it is, and counted.
    /// </summary>
    private void VerifyRegions(List<PlacedRegion> regions)
    {
        byte[] buffer = [];
        foreach (var file in regions.Where(r => r.Length is not null).GroupBy(r => r.Path, StringComparer.Ordinal))
        {
            // A file sealed since has its bytes in the .gz (under gzip's own CRC) and nothing left here to check.
            var full = FullPath(file.Key);
            if (!_files.Exists(full))
            {
                continue;
            }

            using var handle = _files.Open(full);
            var fileLength = handle.Length;
            foreach (var region in file)
            {
                var length = (int)region.Length!.Value;
                if (region.End > fileLength)
                {
                    continue; // counted as missing already
                }

                if (buffer.Length < length)
                {
                    buffer = new byte[length];
                }

                var start = region.End - length;
                var span = buffer.AsSpan(0, length);
                if (handle.Read(span, start) != length || Crc32C.Compute(span) != region.Checksum)
                {
                    _corruptBatches++;
                    OxbowDaemonLog.Warning("store_batch_checksum_mismatch", "path", region.Path, "offset", start, "length", length);
                }
            }
        }
    }

    /// <summary>The length of <paramref name="handle"/>'s first <paramref name="length"/> bytes up to and including their last newline.</summary>
    private static long EndOfLastLine(IDurableFile handle, long length)
    {
        Span<byte> chunk = stackalloc byte[4096];
        var end = length;
        while (end > 0)
        {
            var start = Math.Max(0, end - chunk.Length);
            var read = chunk[..handle.Read(chunk[..(int)(end - start)], start)];
            var newline = read.LastIndexOf((byte)'\n');
            if (newline >= 0)
            {
                return start + newline + 1;
            }

            end = start;
        }

        return 0;
    }

    /// <summary>The whole names in the intents (each a line of its own); <paramref name="torn"/> when anything else is there.</summary>
    private static List<string> IntentNames(byte[] intents, out bool torn)
    {
        List<string> names = [];
        var lines = Encoding.UTF8.GetString(intents).Split('\n');
        torn = lines[^1].Length > 0; // the last line has no newline
        foreach (var line in lines[..^1])
        {
            if (line.StartsWith(StoreLayout.TypePrefix, StringComparison.Ordinal) && line.EndsWith(".ndjson", StringComparison.Ordinal) && !line.Contains('\0', StringComparison.Ordinal))
            {
                names.Add(line);
            }
            else
            {
                torn = true;
            }
        }

        return names;
    }

    /// <summary>
    /// Deletes a file and syncs its directory. Recovery and rollback delete files that hold unacknowledged events and
    /// that nothing will name once the next checkpoint empties the intents: an unsynced delete could be undone by a
    /// power cut after that, bringing those events back beside their resent copies (the model test found this).
    /// </summary>
    private void DeleteDurably(string full)
    {
        _files.Delete(full);
        _files.SyncDirectory(Path.GetDirectoryName(full)!);
        Interlocked.Increment(ref _fsyncs);
    }

    private static long SequenceOf(string relative)
    {
        // <collector-id>-<sequence>.ndjson
        var name = Path.GetFileName(relative.AsSpan());
        var dash = name.LastIndexOf('-');
        var dot = name.IndexOf('.');
        return dash >= 0 && dot > dash && long.TryParse(name[(dash + 1)..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
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
    private string LoadOrCreateId(string path, string name)
    {
        if (DurableFiles.ReadAll(_files, path) is { } content && Encoding.ASCII.GetString(content).Trim() is { Length: > 0 } existing)
        {
            return existing;
        }

        var cleanName = new string([.. name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').Take(32)]);
        var id = (cleanName.Length > 0 ? cleanName + "_" : "") + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        DurableFiles.Replace(_files, path, Encoding.ASCII.GetBytes(id + "\n"));
        return id;
    }
}
