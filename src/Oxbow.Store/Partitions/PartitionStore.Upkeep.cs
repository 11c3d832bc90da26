using System.Text.Json;
using Oxbow.Store.Files;

namespace Oxbow.Store.Partitions;

/// <summary>Upkeep on the store's own thread: checkpoints into the ledger, seals due and requested, sealed sources removed.</summary>
internal sealed partial class PartitionStore
{
    /// <summary>
    /// Checkpoints into <paramref name="ledger"/> and seals idle or full files until cancelled; then waits for the
    /// seals, checkpoints a last time and closes the files. The spool must have been opened with this store.
    /// </summary>
    public async Task RunAsync(IPlacementLedger ledger, CancellationToken cancellationToken)
    {
        // Sealing gzips whole files: it yields the CPU to ingest rather than slow acknowledgements down.
        using var sealer = new LowPriorityWorker("oxbow-seal");
        lock (_sealLock)
        {
            _sealer = sealer;
        }

        foreach (var (relative, length) in _sealsBeforeStart)
        {
            _ = StartSeal(relative, length);
        }

        _sealsBeforeStart.Clear();
        var checkpointFull = false; // a full disk is logged once, not every 250 ms
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.CheckpointInterval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            try
            {
                Checkpoint(ledger);
                checkpointFull = false;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Acknowledged batches are safe in the spool's records; the ledger is retried next time.
                DiskErrors.Log("store_checkpoint_failed", ex, ref checkpointFull);
            }

            SealDue();
            ServeSealRequests();
            DeleteSealedSources(all: false);
        }

        while (_sealRequests.TryDequeue(out var request))
        {
            request.TrySetCanceled(CancellationToken.None);
        }

        // Seals not begun stay in the ledger's sealing list for the next start: a backlog of thousands (a backfill
        // over many hours) must not hold up a stop past the service manager's timeout.
        _stopping = true;
        Task[] seals;
        lock (_sealLock)
        {
            seals = [.. _sealTasks];
        }

        await Task.WhenAll(seals).ConfigureAwait(false);
        DeleteSealedSources(all: true);
        lock (_filesLock)
        {
            _closed = true;
            Checkpoint(ledger, force: true);
            foreach (var file in _open.Values)
            {
                file.Handle.Dispose();
            }

            _open.Clear();
            _openCount = 0;
        }
    }

    /// <summary>
    /// Writes the ledger: the spool's durable end and every open file's committed length. Taking the position first
    /// and the lengths after it (both under the files lock, which <see cref="Committed"/> needs) means the lengths cover
    /// at least every record before the position; recovery takes later records' lengths from the spool.
    /// </summary>
    private void Checkpoint(IPlacementLedger ledger, bool force = false)
    {
        object position;
        long intents;
        System.Buffers.ArrayBufferWriter<byte> state;
        lock (_filesLock)
        {
            position = ledger.DurableMark;
            intents = _intentsWritten;
            if (position.Equals(_checkpointed) && !force && intents == 0)
            {
                return;
            }

            state = new System.Buffers.ArrayBufferWriter<byte>(1024);
            using var json = new Utf8JsonWriter(state);
            WriteState(json);
        }

        // The ledger's fsyncs run without the lock: the spool's writer goes on placing batches meanwhile.
        ledger.Checkpoint(position, json => json.WriteRawValue(state.WrittenSpan, skipInputValidation: true));
        _checkpointed = position;
        if (intents > 0)
        {
            lock (_filesLock)
            {
                // Every file named in the intents is now in the ledger, unless one was created since the snapshot:
                // then the next checkpoint empties them.
                if (_intentsWritten == intents)
                {
                    // Emptying needs no fsync: intents that come back after a crash only name files the ledger keeps.
                    _files.Create(_intentsPath).Dispose();
                    _intentsWritten = 0;
                }
            }
        }
    }
}
