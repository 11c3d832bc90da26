using System.Collections.Concurrent;
using Oxbow.DuckDb;
using Oxbow.Query.Store.Index;
using Oxbow.Query.Store.Narrowing;
using Oxbow.Store.Index;

namespace Oxbow.Query.Store;

/// <summary>
/// Narrowing: a query whose WHERE clause pins days, hours, types, trace ids or ids reads only the files that can hold
/// its rows, so its cost follows what it touches rather than the size of the store. The store's views stay as they
/// are; the query's worker connection gets a temporary view of the same name over fewer files, which DuckDB finds
/// before the shared one, and drops it afterwards.
/// </summary>
public sealed partial class StoreQuery
{
    private const int KnownShapes = 256;
    private readonly LookupKeysCache _keys = new(options.LookupIndexMemory);
    private readonly ConcurrentDictionary<string, string> _parquetSchemas = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, QueryShape?> _shapes = new(StringComparer.Ordinal);
    // What each view reads, replaced whole by each definition (so a query holds a consistent set).
    private Dictionary<string, ViewSource> _sources = new(StringComparer.Ordinal);
    // The views as defined on the shared connection: each type's, events' (by the types' columns), the tables'.
    private readonly SortedDictionary<string, TypeView> _typeViews = new(StringComparer.Ordinal);
    private readonly List<string> _tableViews = [];
    private string? _eventsSignature;
    private string? _eventsEmptyBranch;
    private string? _tablesSignature;

    /// <summary>
    /// Defines on the worker's connection a temporary view that shadows the one view <paramref name="sql"/>
    /// reads with only the files its conditions can match, and returns its name; null when the query reads the
    /// views as they are (nothing to leave out, or a query this does not understand). Never fails the query: any
    /// trouble here means the query simply runs over every file.
    /// </summary>
    private string? Narrow(Worker worker, string sql, Dictionary<string, ViewSource> sources)
    {
        var connection = worker.Connection;
        worker.NarrowedAway = 0;
        try
        {
            if (Shape(connection, sql) is not { Narrows: true } shape)
            {
                return null;
            }

            var matches = sources.Where(s => string.Equals(s.Key, shape.Table, StringComparison.OrdinalIgnoreCase)).ToList();
            if (matches is not [var (name, view)])
            {
                return null;
            }

            List<string> branches = [view.EmptyBranch];
            var leftOut = false;
            var away = 0;
            foreach (var type in view.Types)
            {
                if (!shape.KeepsType(type.Type))
                {
                    leftOut = true;
                    away += type.Parquet.Count;
                    continue;
                }

                var files = type.Parquet.Where(p => shape.KeepsDay(p.Day) && shape.KeepsHour(p.Hour)).Select(p => p.File).ToList();
                foreach (var column in LookupKeys.Columns)
                {
                    if (shape.Equal.TryGetValue(column, out var values))
                    {
                        files = _keys.Candidates(files, column, values);
                    }
                }

                leftOut |= files.Count < type.Parquet.Count;
                away += type.Parquet.Count - files.Count;
                if (Render(connection, type, files) is { } select)
                {
                    branches.Add(select);
                }
            }

            if (!leftOut)
            {
                return null;
            }

            connection.Execute($"CREATE OR REPLACE TEMP VIEW {Sql.Identifier(name)} AS {string.Join(" UNION ALL BY NAME ", branches)}");
            worker.NarrowedAway = away;
            return name;
        }
        catch (DuckDbException ex) when (ex.ErrorType is not DuckDbErrorType.Interrupt)
        {
            return null;
        }
    }

    /// <summary>Drops a narrowed view; false when that failed (an interrupt, say).</summary>
    private static bool DropNarrowed(DuckDbConnection connection, string name)
    {
        try
        {
            connection.Execute($"DROP VIEW IF EXISTS temp.main.{Sql.Identifier(name)}");
            return true;
        }
        catch (DuckDbException)
        {
            return false;
        }
    }

    /// <summary>The query's shape, parsed once per text (dashboards and consoles send the same few again and again).</summary>
    private QueryShape? Shape(DuckDbConnection connection, string sql)
    {
        if (_shapes.TryGetValue(sql, out var known))
        {
            return known;
        }

        string parsed;
        using (var result = connection.Query("SELECT json_serialize_sql(" + Sql.Literal(sql) + ")"))
        {
            parsed = result.Rows().Select(r => r[0] as string).FirstOrDefault() ?? "";
        }

        var shape = parsed.Length == 0 ? null : QueryShape.FromParseTree(parsed);
        if (_shapes.Count >= KnownShapes)
        {
            _shapes.Clear();
        }

        _shapes[sql] = shape;
        return shape;
    }

    /// <summary>
    /// A branch with no rows and exactly a view's <paramref name="columns"/> (names and types, in order), placed first
    /// in a narrowed view so that its columns and their types are the full view's: fewer files must not mean fewer
    /// columns.
    /// </summary>
    private static string EmptyBranch(List<(string Name, string Type)> columns) =>
        $"SELECT {string.Join(", ", columns.Select(c => $"NULL::{c.Type} AS {Sql.Identifier(c.Name)}"))} WHERE false";

    /// <summary>One compacted file of a type, with the partition it is in.</summary>
    private sealed record ParquetFile(string File, string Day, int Hour);

    /// <summary>The files behind one type's view: its NDJSON branches (rendered) and its Parquet files.</summary>
    private sealed record TypeSource(string Type, IReadOnlyList<string> NdjsonBranches, IReadOnlyList<ParquetFile> Parquet);

    /// <summary>What a view reads (one type, or every type for <c>events</c>) and its empty, fully typed branch.</summary>
    private sealed record ViewSource(IReadOnlyList<TypeSource> Types, string EmptyBranch);
}
