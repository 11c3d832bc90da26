using System.Globalization;
using System.IO.Compression;
using Oxbow.Store.Files;

namespace Oxbow.Store.Partitions;

/// <summary>Sealing: idle, full and closed-hour files gzipped on the low-priority sealer; sealed NDJSON removed after its grace.</summary>
internal sealed partial class PartitionStore
{
    private volatile bool _stopping;

    private void SealDue()
    {
        var now = Environment.TickCount64;
        lock (_filesLock)
        {
            foreach (var file in _open.Values.ToArray())
            {
                var idle = now - file.LastWriteTicks >= (long)_options.SealAfterIdle.TotalMilliseconds;
                if (file.Length == file.CommittedLength && (idle || file.Length >= _options.MaxFileBytes))
                {
                    Close(file);
                    _ = StartSeal(file.Relative, file.CommittedLength);
                }
            }
        }
    }

    /// <summary>Takes a file whose every byte is committed out of the open set; the next event of its partition starts a new one.</summary>
    private void Close(PartitionFile file)
    {
        _open.Remove(file.Key);
        _openCount = _open.Count;
        file.Handle.Dispose();
    }

    /// <summary>
    /// Seals every open file of an hour that has ended (so <c>oxbow store zip</c> can compact it now rather than after
    /// the idle timeout). Served at the store's next checkpoint tick; completes when the seals are done.
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
        lock (_filesLock)
        {
            foreach (var file in _open.Values.ToArray())
            {
                // Key is type/day/hour; day and hour sort as text.
                var dayHour = file.Key[(file.Key.IndexOf('/') + 1)..];
                if (file.Length == file.CommittedLength && string.CompareOrdinal(dayHour, currentHour) < 0)
                {
                    Close(file);
                    seals.Add(StartSeal(file.Relative, file.CommittedLength));
                }
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
            if (_stepwise)
            {
                Seal(relative);
                return Task.CompletedTask;
            }

            if (_sealer is null)
            {
                // Recovering, before RunAsync: started with it.
                _sealsBeforeStart.Add((relative, length));
                return Task.CompletedTask;
            }

            _sealTasks.RemoveAll(t => t.IsCompleted);
            var task = _sealer!.Run(() => Seal(relative));
            _sealTasks.Add(task);
            return task;
        }
    }

    private void Seal(string relative)
    {
        if (_stopping)
        {
            return; // Still listed under sealing: the next start seals it.
        }

        var source = FullPath(relative);
        var target = source + ".gz";
        var temporary = target + ".tmp";
        try
        {
            using (var input = _files.Open(source))
            {
                if (input.Length == 0)
                {
                    // Nothing acknowledged in it (a batch rolled back): a sealed file is never empty.
                    input.Dispose();
                    DeleteDurably(source);
                    lock (_sealLock)
                    {
                        _sealing.Remove(relative);
                    }

                    Changed(relative);
                    return;
                }

                using var output = _files.Create(temporary);
                using (var gzip = new GZipStream(new BufferedStream(new DurableFileStream(output, writable: true), 1 << 16), CompressionLevel.Fastest))
                {
                    new DurableFileStream(input, writable: false).CopyTo(gzip, 1 << 16);
                }

                output.Flush();
                Interlocked.Increment(ref _fsyncs);
            }

            _files.Rename(temporary, target);
            // Durable before the source may be deleted (the deletion is synced in the same directory later).
            _files.SyncDirectory(Path.GetDirectoryName(target)!);
            Interlocked.Increment(ref _fsyncs);
            Changed(relative);
            lock (_sealLock)
            {
                // The NDJSON stays a while for queries that listed it before the .gz existed (listings ignore it
                // now); the ledger keeps it under sealing until it goes, so recovery removes it after a crash.
                _sealedSources.Enqueue((relative, Environment.TickCount64));
                _sealedFiles++;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left in the sealing list: the next start retries it.
            try
            {
                _files.Delete(temporary);
            }
            catch (IOException)
            {
                // Recovery removes it.
            }

            DiskErrors.Log("store_seal_failed", ex, ref _sealFullLogged);
        }
    }

    /// <summary>Removes the NDJSON of sealed files once no query can still be reading it (or all, when stopping).</summary>
    private void DeleteSealedSources(bool all)
    {
        var now = Environment.TickCount64;
        while (true)
        {
            string relative;
            lock (_sealLock)
            {
                if (!_sealedSources.TryPeek(out var next) || (!all && now - next.SealedAt < (long)SealedSourceGrace.TotalMilliseconds))
                {
                    return;
                }

                relative = _sealedSources.Dequeue().Relative;
            }

            try
            {
                // Synced before the ledger stops naming it, so a power cut cannot bring it back beside its .gz.
                var full = FullPath(relative);
                _files.Delete(full);
                _files.SyncDirectory(Path.GetDirectoryName(full)!);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                OxbowDaemonLog.Error("store_seal_cleanup_failed", ex);
            }

            lock (_sealLock)
            {
                _sealing.Remove(relative);
            }
        }
    }
}
