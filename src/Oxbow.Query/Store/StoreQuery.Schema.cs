using Oxbow.DuckDb;

namespace Oxbow.Query.Store;

/// <summary>The store's schema, as the views define it now.</summary>
public sealed partial class StoreQuery
{
    /// <summary>
    /// Every event type in the store with its view's columns (name and DuckDB type, in order), as a query starting
    /// now would see them: the listing and views are brought up to date first, as for any query.
    /// </summary>
    /// <exception cref="DuckDbException">DuckDB's error while defining the views; an interrupt when cancelled.</exception>
    public IReadOnlyList<TypeSchema> Schema(CancellationToken cancellation = default)
    {
        Read("SELECT 1", _ => { }, new QueryLimits { Cancellation = cancellation });
        _viewsGate.Wait(cancellation);
        try
        {
            return [.. _typeViews.Select(v => new TypeSchema(v.Key, v.Value.Described))];
        }
        finally
        {
            _viewsGate.Release();
        }
    }
}

/// <summary>One event type's view: its name and its columns (name and DuckDB type), in order.</summary>
public sealed record TypeSchema(string Type, IReadOnlyList<(string Name, string Type)> Columns);
