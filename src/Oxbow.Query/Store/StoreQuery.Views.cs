using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Oxbow.DuckDb;
using Oxbow.Store;
using Oxbow.Store.Compaction;

namespace Oxbow.Query.Store;

/// <summary>The views: one per type over its files (a file DuckDB cannot read left out), events over all of them, and reference tables.</summary>
public sealed partial class StoreQuery
{
    /// <summary>
    /// Brings the views up to date with <paramref name="all"/>, redefining only what changed. A type's view is
    /// replaced only when its SELECT changed (a file added or removed, or new fields in a file being appended to:
    /// more lines alone change nothing, the view reads the file as it is when a query runs). Defining a view over
    /// many Parquet files costs DuckDB a bind over all of them, so this is what keeps a query during steady ingest
    /// from paying for the whole store. <c>events</c> is replaced only when a type's columns or the set of types
    /// changed. A type whose files cannot be read (a damaged file) gets no view and lands in the broken list with
    /// the reason, and then neither does <c>events</c>: other types stay queryable, and nothing silently leaves the
    /// damaged type out.
    /// </summary>
    private void DefineViews(DuckDbConnection connection, List<PartitionFiles> all)
    {
        _broken.Clear();
        var broken = _broken;
        // Skipped files that are gone (compacted, removed by retention) are forgotten.
        var present = all.SelectMany(p => p.Active.Concat(p.Sealed).Concat(p.Parquet)).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _skipped.Keys.Where(f => !present.Contains(f)).ToList())
        {
            _skipped.Remove(gone);
        }

        HashSet<string> types = new(StringComparer.Ordinal);
        foreach (var group in all.GroupBy(p => p.Partition.Type).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var files = group.Select(WithoutSkipped).ToList();
            string? select;
            TypeSource source;
            try
            {
                source = SourceFor(connection, group.Key, files);
                select = Render(connection, source, source.Parquet.Select(p => p.File));
                if (select is not null)
                {
                    DefineType(connection, group.Key, select, source);
                }
            }
            catch (DuckDbException ex) when (IsReadError(ex))
            {
                // One file DuckDB cannot read (damaged, or stored before ingest repaired keys) must not take its type,
                // and events, down with it: find it, leave it out, say so, and define the view over the rest.
                try
                {
                    foreach (var (file, problem) in UnreadableFiles(connection, files))
                    {
                        Skip(file, problem);
                    }

                    files = group.Select(WithoutSkipped).ToList();
                    source = SourceFor(connection, group.Key, files);
                    select = Render(connection, source, source.Parquet.Select(p => p.File));
                    if (select is not null)
                    {
                        DefineType(connection, group.Key, select, source);
                    }
                }
                catch (DuckDbException again) when (IsReadError(again))
                {
                    broken[group.Key] = FindDamagedFile(again.Message) is { } damaged
                        ? $"{again.Message.Split('\n')[0]} (damaged file: {damaged})"
                        : again.Message.ReplaceLineEndings(" ").Trim();
                    continue;
                }
            }

            if (select is not null)
            {
                types.Add(group.Key);
            }
        }

        // Types with no files left, or broken now, lose their views.
        foreach (var type in _typeViews.Keys.Where(t => !types.Contains(t)).ToList())
        {
            DropType(connection, type);
        }

        DefineEvents(connection, broken.Count > 0);
        Dictionary<string, ViewSource> sources = new(StringComparer.Ordinal);
        foreach (var (type, view) in _typeViews)
        {
            sources[type] = new ViewSource([view.Source], view.EmptyBranch);
            if (Alias(type) is { } alias && !_typeViews.ContainsKey(alias))
            {
                sources[alias] = sources[type];
            }
        }

        if (_eventsEmptyBranch is not null && _typeViews.Count > 0)
        {
            sources["events"] = new ViewSource([.. _typeViews.Values.Select(v => v.Source)], _eventsEmptyBranch);
        }

        _sources = sources;
        _keys.Retain(present);
        foreach (var gone in _parquetSchemas.Keys.Where(f => !present.Contains(f)).ToList())
        {
            _parquetSchemas.TryRemove(gone, out _);
        }

        _flattened = _flattenedUsed;
        _flattenedUsed = new(StringComparer.Ordinal);
        DefineTables(connection);
    }

    /// <summary>Replaces one type's view (and its <c>a_b</c> alias) when its SELECT changed; a no-op otherwise.</summary>
    private void DefineType(DuckDbConnection connection, string type, string select, TypeSource source)
    {
        if (_typeViews.TryGetValue(type, out var known) && known.Select == select)
        {
            return;
        }

        connection.Execute($"CREATE OR REPLACE VIEW {Sql.Identifier(type)} AS {select}");
        // One bind gives both the columns (which say whether events must change) and the narrowing's empty branch.
        var columns = Describe(connection, type);
        _typeViews[type] = new TypeView(select, source, string.Join('\n', columns.Select(c => c.Name + " " + c.Type)), EmptyBranch(columns)) { Described = columns };
        // The alias is replaced with its type: a view keeps the columns it was created with.
        if (Alias(type) is { } alias && !_typeViews.ContainsKey(alias))
        {
            connection.Execute($"CREATE OR REPLACE VIEW {Sql.Identifier(alias)} AS SELECT * FROM {Sql.Identifier(type)}");
        }
    }

    private void DropType(DuckDbConnection connection, string type)
    {
        connection.Execute($"DROP VIEW IF EXISTS {Sql.Identifier(type)}");
        if (Alias(type) is { } alias && !_typeViews.ContainsKey(alias))
        {
            connection.Execute($"DROP VIEW IF EXISTS {Sql.Identifier(alias)}");
        }

        _typeViews.Remove(type);
    }

    /// <summary><c>events</c>, every type by name, replaced only when the types or their columns changed; none while a type is broken.</summary>
    private void DefineEvents(DuckDbConnection connection, bool anyBroken)
    {
        var signature = anyBroken ? "broken" : string.Join("\n\n", _typeViews.Select(v => v.Key + "\n" + v.Value.Columns));
        if (signature == _eventsSignature)
        {
            return;
        }

        _eventsSignature = null;
        _eventsEmptyBranch = null;
        if (anyBroken)
        {
            connection.Execute("DROP VIEW IF EXISTS events");
        }
        else if (_typeViews.Count == 0)
        {
            connection.Execute("CREATE OR REPLACE VIEW events AS SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS type, NULL::TIMESTAMP AS \"start\", NULL::TIMESTAMP AS \"end\", " +
                "NULL::VARCHAR AS level, NULL::VARCHAR AS host, NULL::BIGINT AS pid, NULL::VARCHAR AS app, NULL::VARCHAR AS day, NULL::INTEGER AS hour WHERE false");
        }
        else
        {
            connection.Execute("CREATE OR REPLACE VIEW events AS " + string.Join(" UNION ALL BY NAME ", _typeViews.Keys.Select(t => $"SELECT * FROM {Sql.Identifier(t)}")));
            _eventsEmptyBranch = EmptyBranch(Describe(connection, "events"));
        }

        _eventsSignature = signature;
    }

    /// <summary>A view per reference table, replaced when the tables changed (a name shared with a type is the type's).</summary>
    private void DefineTables(DuckDbConnection connection)
    {
        var tables = Tables().Select(f => (File: f, Name: Path.GetFileNameWithoutExtension(f)))
            .Where(t => ReferenceTables.IsValidName(t.Name) && !_typeViews.ContainsKey(t.Name)).ToList();
        var signature = string.Join('\n', tables.Select(t => $"{t.File} {File.GetLastWriteTimeUtc(t.File).Ticks}")) + "\n" + string.Join('\n', _typeViews.Keys);
        if (signature == _tablesSignature)
        {
            return;
        }

        _tablesSignature = null;
        foreach (var name in _tableViews.Where(n => !_typeViews.ContainsKey(n)))
        {
            connection.Execute($"DROP VIEW IF EXISTS {Sql.Identifier(name)}");
        }

        _tableViews.Clear();
        foreach (var (file, name) in tables)
        {
            connection.Execute($"CREATE OR REPLACE VIEW {Sql.Identifier(name)} AS SELECT * FROM read_parquet({Sql.Literal(file)})");
            _tableViews.Add(name);
        }

        _tablesSignature = signature;
    }

    /// <summary>A view's columns, names and DuckDB types in order (one bind of the view).</summary>
    private static List<(string Name, string Type)> Describe(DuckDbConnection connection, string view) =>
        [.. connection.QueryAll($"DESCRIBE {Sql.Identifier(view)}").Rows.Select(r => ((string)r[0]!, (string)r[1]!))];

    private static string? Alias(string type) => type.Contains('.', StringComparison.Ordinal) ? type.Replace('.', '_') : null;

    /// <summary>One type's view as last defined: its SELECT, what it reads, its columns, and its empty branch.</summary>
    private sealed record TypeView(string Select, TypeSource Source, string Columns, string EmptyBranch)
    {
        /// <summary>The view's columns and their DuckDB types, in order.</summary>
        public IReadOnlyList<(string Name, string Type)> Described { get; init; } = [];
    }

    /// <summary>
    /// Defining a view runs only Oxbow's own SQL over the files, so any DuckDB error there is about a file (a damaged
    /// stream, a schema it will not read such as "Duplicate name in struct", which DuckDB calls Not implemented), except
    /// an interrupt, and a file that vanished (sealed or compacted since the listing), which the caller lists again for.
    /// </summary>
    private static bool IsReadError(DuckDbException ex) =>
        ex.ErrorType is not DuckDbErrorType.Interrupt && !(ex.ErrorType == DuckDbErrorType.IO && IsVanishedFile(ex.Message));

    private PartitionFiles WithoutSkipped(PartitionFiles files) => _skipped.Count == 0 ? files : files with
    {
        Active = [.. files.Active.Where(f => !_skipped.ContainsKey(f))],
        Sealed = [.. files.Sealed.Where(f => !_skipped.ContainsKey(f))],
        Parquet = [.. files.Parquet.Where(f => !_skipped.ContainsKey(f))],
    };

    private void Skip(string file, string problem)
    {
        if (_skipped.TryAdd(file, problem))
        {
            options.FileSkipped?.Invoke(file, problem);
        }
    }

    /// <summary>
    /// The files of one type that DuckDB cannot read, found by halving: a set that defines a view is fine, one that
    /// does not is split until single files remain. A few probes per bad file, none when nothing is wrong.
    /// </summary>
    private List<(string File, string Problem)> UnreadableFiles(DuckDbConnection connection, List<PartitionFiles> files)
    {
        List<(string, string)> bad = [];
        var all = files.SelectMany(f => f.Sealed.Select(s => (File: s, Kind: 's')).Concat(f.Active.Select(a => (File: a, Kind: 'a'))).Concat(f.Parquet.Select(q => (File: q, Kind: 'p')))).ToList();
        Probe(all);
        return bad;

        void Probe(List<(string File, char Kind)> set)
        {
            try
            {
                var probe = new PartitionFiles(files[0].Partition, [.. set.Where(f => f.Kind == 'a').Select(f => f.File)], [.. set.Where(f => f.Kind == 's').Select(f => f.File)], [.. set.Where(f => f.Kind == 'p').Select(f => f.File)]);
                if (SelectFor(connection, [probe]) is { } select)
                {
                    using var result = connection.Query($"SELECT count(*) FROM ({select})");
                }
            }
            catch (DuckDbException ex) when (IsReadError(ex))
            {
                if (set.Count == 1)
                {
                    bad.Add((set[0].File, ex.Message.ReplaceLineEndings(" ").Trim()));
                    return;
                }

                Probe(set[..(set.Count / 2)]);
                Probe(set[(set.Count / 2)..]);
            }
        }
    }

    private IEnumerable<string> Tables()
    {
        var tables = TablesDirectory(options.DataDirectory);
        return Directory.Exists(tables) ? Directory.EnumerateFiles(tables, "*.parquet").Order(StringComparer.Ordinal) : [];
    }

    /// <summary>One type's SELECT over its files (<see cref="SourceFor"/>, <see cref="Render"/>); null when it has none.</summary>
    private string? SelectFor(DuckDbConnection connection, List<PartitionFiles> files)
    {
        var source = SourceFor(connection, files[0].Partition.Type, files);
        return Render(connection, source, source.Parquet.Select(p => p.File));
    }

    /// <summary>
    /// What one type's view reads: fresh NDJSON (flattened) and compacted Parquet (already flat). Files being appended
    /// to are read with <c>ignore_errors</c>, since their last line may be mid-write; sealed and compacted files are
    /// read strictly, so damage is an error that names the file.
    /// </summary>
    private TypeSource SourceFor(DuckDbConnection connection, string type, List<PartitionFiles> files)
    {
        List<string> ndjson = [];
        var active = files.SelectMany(f => f.Active).ToList();
        var sealedFiles = files.SelectMany(f => f.Sealed).ToList();
        if (sealedFiles.Count > 0)
        {
            ndjson.Add(Flattened(connection, sealedFiles, tolerateTornLines: false));
        }

        if (active.Count > 0)
        {
            ndjson.Add(Flattened(connection, active, tolerateTornLines: true));
        }

        var parquet = files.SelectMany(f => f.Parquet.Select(p => new ParquetFile(p, f.Partition.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), f.Partition.Hour))).ToList();
        return new TypeSource(type, ndjson, parquet);
    }

    /// <summary>A type's SELECT: its NDJSON branches and <paramref name="parquet"/>, joined by name; null when there is nothing to read.</summary>
    private string? Render(DuckDbConnection connection, TypeSource source, IEnumerable<string> parquet)
    {
        List<string> branches = [.. source.NdjsonBranches];
        // Files with the same columns are read together without union_by_name, which would make every query read
        // every file's schema again while binding; groups with different columns are then joined by name.
        foreach (var group in ParquetBySchema(connection, [.. parquet]))
        {
            branches.Add($"SELECT * FROM read_parquet({Sql.List(group)}, hive_partitioning = true, hive_types = {{'day': 'VARCHAR', 'hour': 'INTEGER'}})");
        }

        return branches.Count == 0 ? null : string.Join(" UNION ALL BY NAME ", branches);
    }

    /// <summary>
    /// Groups Parquet files by their columns. A committed file never changes, so each file's schema is read once
    /// (its footer) and remembered while the file is in the store: redefining the views after one new file reads one
    /// footer, not all of them.
    /// </summary>
    private IEnumerable<List<string>> ParquetBySchema(DuckDbConnection connection, List<string> parquet)
    {
        if (parquet.Count == 0)
        {
            return [];
        }

        var unknown = parquet.Where(f => !_parquetSchemas.ContainsKey(f)).ToList();
        if (unknown.Count > 0)
        {
            var schemas = connection.QueryAll($"SELECT file_name, string_agg(name || ' ' || type, ', ' ORDER BY name) FROM parquet_schema({Sql.List(unknown)}) GROUP BY file_name");
            foreach (var row in schemas.Rows)
            {
                _parquetSchemas[(string)row[0]!] = (string?)row[1] ?? "";
            }
        }

        return parquet.GroupBy(f => _parquetSchemas.GetValueOrDefault(f, f), StringComparer.Ordinal).Select(g => g.ToList());
    }

    /// <summary>
    /// The flattening SELECT over NDJSON files. Their schema is detected from every line once, here, and written into
    /// the view: a view that detected it itself would parse every line twice on every query that binds it. The views
    /// are redefined whenever the files change (or an open file grows), so a new field still appears at once.
    /// </summary>
    private string Flattened(DuckDbConnection connection, List<string> files, bool tolerateTornLines)
    {
        // Sealed files never change: the SELECT over a set of them is kept, so a query after one more event (an open
        // file grew) re-reads the schema of the open files only, not of every sealed file of the type.
        var key = (tolerateTornLines ? "a\n" : "s\n") + string.Join('\n', files);
        // A definition interrupted by a timeout keeps what it learned (in the used set) for the next one.
        if (!tolerateTornLines && (_flattened.TryGetValue(key, out var known) || _flattenedUsed.TryGetValue(key, out known)))
        {
            _flattenedUsed[key] = known;
            return known;
        }

        var select = FlattenedUncached(connection, files, tolerateTornLines);
        if (!tolerateTornLines)
        {
            _flattenedUsed[key] = select;
        }

        return select;
    }

    private static string FlattenedUncached(DuckDbConnection connection, List<string> files, bool tolerateTornLines)
    {
        var detecting = Compactor.NdjsonSource(files, tolerateTornLines, hive: true);
        var described = connection.QueryAll($"DESCRIBE SELECT * FROM {detecting}");
        var columns = "{" + string.Join(", ", described.Rows
            .Select(r => ((string)r[0]!, (string)r[1]!))
            .Where(c => c.Item1 is not ("day" or "hour"))
            .Select(c => $"{Sql.Literal(c.Item1)}: {Sql.Literal(c.Item2)}")) + "}";
        var source = Compactor.NdjsonSource(files, tolerateTornLines, hive: true, columns);
        using var probe = connection.Query($"SELECT * FROM {source} LIMIT 0");
        return $"SELECT {EventColumns.FlatteningSelectList(probe.Columns)} FROM {source}";
    }
}
