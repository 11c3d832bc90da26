using Oxbow.Store.Partitions;
namespace Oxbow.Daemon.Spool;

/// <summary>
/// One group of batches placed by an <see cref="IBatchPlacement"/>, from the first <see cref="Place"/> to its commit
/// or <see cref="Rollback"/>. The order the store needs is in the types: placing is possible only while the session is
/// open; <see cref="Commit"/> is only on the <see cref="FlushedPlacement"/> that <see cref="Flush"/> returns, so nothing
/// can count as stored before its data was fsynced; and a session ends exactly once. The spool's writer holds
/// sessions, never the placement itself.
/// </summary>
internal sealed class PlacementSession(IBatchPlacement placement)
{
    private enum Stage { Open, Flushed, Ended }

    private Stage _stage;

    /// <summary>Writes a batch (not yet durable); returns the record the spool keeps in its place.</summary>
    /// <exception cref="IOException">The store could not write it; roll the session back.</exception>
    /// <exception cref="InvalidOperationException">The session was flushed or ended: a bug in the caller.</exception>
    public ReadOnlyMemory<byte> Place(ReadOnlyMemory<byte> data)
    {
        Require(Stage.Open, nameof(Place));
        return placement.Place(data);
    }

    /// <summary>Makes everything placed in this session durable (fsync); its result commits once the spool's records are durable too.</summary>
    /// <exception cref="IOException">The store could not make it durable; roll the session back.</exception>
    public FlushedPlacement Flush()
    {
        Require(Stage.Open, nameof(Flush));
        placement.Flush();
        _stage = Stage.Flushed;
        return new FlushedPlacement(this);
    }

    /// <summary>Undoes everything placed in this session; ends it. Never throws for I/O (the store logs what it could not undo).</summary>
    public void Rollback()
    {
        if (_stage == Stage.Ended)
        {
            throw new InvalidOperationException("a placement session ends once: it was committed or rolled back already");
        }

        _stage = Stage.Ended;
        placement.Rollback();
    }

    /// <summary>Called by <see cref="FlushedPlacement.Commit"/> only.</summary>
    internal void Commit()
    {
        Require(Stage.Flushed, nameof(Commit));
        _stage = Stage.Ended;
        placement.Committed();
    }

    private void Require(Stage stage, string step)
    {
        if (_stage != stage)
        {
            throw new InvalidOperationException($"{step} on a placement session that is {_stage.ToString().ToLowerInvariant()}");
        }
    }
}

/// <summary>The proof that a session's data is durable: the only way to commit it.</summary>
internal readonly struct FlushedPlacement
{
    private readonly PlacementSession? _session;

    internal FlushedPlacement(PlacementSession session) => _session = session;

    /// <summary>The spool's records of this session are durable: its batches count as stored from now on.</summary>
    public void Commit() => (_session ?? throw new InvalidOperationException("commit a FlushedPlacement that Flush returned")).Commit();
}
