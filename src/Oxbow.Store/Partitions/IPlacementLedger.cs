using System.Text.Json;

namespace Oxbow.Store.Partitions;

/// <summary>
/// Where the store's checkpoints go: the ledger of the spool whose placement it is (in the daemon, the collector's
/// spool). A checkpoint lets the spool drop every record before the mark it was taken at, since the state written
/// with it (every open file's committed length) covers them.
/// </summary>
/// <remarks>Errors: <see cref="Checkpoint"/> reports I/O failures by throwing <see cref="IOException"/>; the
/// previous checkpoint then stands, and the store tries again at its next tick.</remarks>
internal interface IPlacementLedger
{
    /// <summary>
    /// A mark of everything durable so far, compared only for equality: taken before the store's state, so that state
    /// covers at least every record before it.
    /// </summary>
    object DurableMark { get; }

    /// <summary>Makes <paramref name="writeState"/>'s JSON the ledger's state as of <paramref name="mark"/>, durably.</summary>
    void Checkpoint(object mark, Action<Utf8JsonWriter> writeState);
}
