using System.Text.Json;

namespace Oxbow.Store.Partitions;

/// <summary>
/// Where a spool's batches are written instead of into its own segments. The spool then records only what
/// <see cref="Place"/> returns (where the batch went), so every byte is written and fsynced once, not twice. The
/// collector's store is one; an agent has none and keeps the data in its spool until it is delivered.
/// </summary>
/// <remarks>
/// <para>The spool calls <see cref="Recover"/> once while it opens, before anything else. The steps of a group of
/// appends (<see cref="Place"/> for each batch, <see cref="Flush"/>, then <see cref="Committed"/> once the spool's
/// records are durable too; or <see cref="Rollback"/> when anything failed, and those appends are refused so their
/// senders retry) are called on the spool's writer thread through the spool's <c>PlacementSession</c>, whose types allow
/// only that order.</para>
/// <para>Errors: <see cref="Place"/> and <see cref="Flush"/> report I/O failures by throwing
/// <see cref="IOException"/>; the others must not throw.</para>
/// </remarks>
internal interface IBatchPlacement
{
    /// <summary>
    /// Restores the placement after a restart, from the consumer state in the ledger and the batches the spool holds
    /// past the committed position, in order. Anything placed but not in either was never acknowledged: undo it.
    /// </summary>
    void Recover(JsonElement? state, IReadOnlyList<RecoveredBatch> batches);

    /// <summary>Writes a batch (not yet durable); returns the record the spool keeps in its place.</summary>
    ReadOnlyMemory<byte> Place(ReadOnlyMemory<byte> data);

    /// <summary>Makes everything placed since the last <see cref="Committed"/> durable (fsync).</summary>
    void Flush();

    /// <summary>The spool's records of what was placed are durable: it counts as stored from now on.</summary>
    void Committed();

    /// <summary>Undoes everything placed since the last <see cref="Committed"/>.</summary>
    void Rollback();

    /// <summary>Writes the state that <see cref="Recover"/> will get back, as one JSON value.</summary>
    void WriteState(Utf8JsonWriter json);
}

/// <summary>A batch found in the spool on open: a placement record, or (from an older spool) the NDJSON itself.</summary>
internal readonly record struct RecoveredBatch(bool Placed, ReadOnlyMemory<byte> Data);
