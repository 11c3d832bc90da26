using System.Runtime.InteropServices;

namespace Oxbow.DuckDb;

/// <summary>A connection: runs SQL and hands back results read through DuckDB's chunk/vector API.</summary>
public sealed unsafe class DuckDbConnection : IDisposable
{
    private nint _handle;

    // Texts already found to be one SELECT (a bounded set, cleared when full). A connection serves one thread at a time.
    private readonly HashSet<string> _readOnlyTexts = new(StringComparer.Ordinal);

    internal DuckDbConnection(nint handle) => _handle = handle;

    /// <summary>Runs SQL that returns nothing of interest (DDL, COPY, SET), discarding any result.</summary>
    /// <exception cref="DuckDbException">DuckDB's error, with its message.</exception>
    public void Execute(string sql)
    {
        using var result = Query(sql);
    }

    /// <summary>Runs SQL and reads the whole result into memory.</summary>
    /// <exception cref="DuckDbException">DuckDB's error, with its message.</exception>
    public QueryResult QueryAll(string sql)
    {
        using var result = Query(sql);
        return new QueryResult(result.Columns, [.. result.Rows()]);
    }

    /// <summary>Runs SQL and returns the result, to be read chunk by chunk and then disposed.</summary>
    /// <exception cref="DuckDbException">DuckDB's error, with its message.</exception>
    public DuckDbResult Query(string sql)
    {
        ObjectDisposedException.ThrowIf(_handle == 0, this);
        var native = (NativeResult*)NativeMemory.AllocZeroed((nuint)sizeof(NativeResult));
        return NativeMethods.Query(_handle, sql, native) == NativeMethods.Success ? new DuckDbResult(native) : throw Fail(native);
    }

    /// <summary>The error held by a failed result; frees the result.</summary>
    private static DuckDbException Fail(NativeResult* native)
    {
        try
        {
            var message = Marshal.PtrToStringUTF8(NativeMethods.ResultError(native)) ?? "DuckDB failed without a message";
            var type = NativeMethods.ResultErrorType(native);
            return new DuckDbException(message, Enum.IsDefined((DuckDbErrorType)type) ? (DuckDbErrorType)type : DuckDbErrorType.Unknown);
        }
        finally
        {
            NativeMethods.DestroyResult(native);
            NativeMemory.Free(native);
        }
    }

    /// <summary>
    /// Runs exactly one statement, and only if it is a SELECT (a query, <c>WITH …</c>, <c>FROM …</c>, <c>SUMMARIZE</c>
    /// and the like): anything that writes, attaches, installs or changes settings is refused before it runs. This is
    /// what SQL from users goes through.
    /// </summary>
    /// <exception cref="DuckDbException">DuckDB's error, or a refusal naming the statement kind.</exception>
    public DuckDbResult QueryReadOnly(string sql)
    {
        ObjectDisposedException.ThrowIf(_handle == 0, this);
        if (Refusal(sql) is { } refusal)
        {
            throw refusal;
        }

        return Query(sql);
    }

    /// <summary>
    /// As <see cref="QueryReadOnly(string)"/>, asking DuckDB for at most <paramref name="maxRows"/> rows: the query
    /// becomes <c>SELECT * FROM (query) LIMIT n</c>, so a result of millions of rows is never built (DuckDB keeps the
    /// inner ORDER BY). A statement that cannot be a subquery runs as it is.
    /// </summary>
    public DuckDbResult QueryReadOnly(string sql, long maxRows)
    {
        ObjectDisposedException.ThrowIf(_handle == 0, this);
        if (Refusal(sql) is { } refusal)
        {
            throw refusal;
        }

        // A trailing semicolon ends the statement; a trailing line comment is ended by the newline.
        var inner = sql.TrimEnd().TrimEnd(';');
        var limited = $"SELECT * FROM (\n{inner}\n) LIMIT {maxRows.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        return Query(Refusal(limited) is null ? limited : sql);
    }

    /// <summary>Why <paramref name="sql"/> may not run as a read-only query, or null when it may.</summary>
    private DuckDbException? Refusal(string sql)
    {
        // The check depends on the text alone, and dashboards send the same few queries again and again.
        if (_readOnlyTexts.Contains(sql))
        {
            return null;
        }

        // Parse only (json_serialize_sql serializes SELECTs and refuses everything else), then run once: preparing
        // the statement to learn its kind would bind it twice.
        string parsed;
        using (var check = Query("SELECT json_serialize_sql(" + Sql.Literal(sql) + ")"))
        {
            parsed = check.Rows().Select(r => r[0] as string).FirstOrDefault() ?? "";
        }

        using (var document = System.Text.Json.JsonDocument.Parse(parsed))
        {
            var root = document.RootElement;
            if (root.GetProperty("error").GetBoolean())
            {
                var type = root.TryGetProperty("error_type", out var t) ? t.GetString() : null;
                var message = root.TryGetProperty("error_message", out var m) ? m.GetString() : null;
                return type == "parser"
                    ? new DuckDbException($"Parser Error: {message}", DuckDbErrorType.Parser)
                    : new DuckDbException($"only queries (SELECT) can run here; this statement is {KindOf(sql)}", DuckDbErrorType.Unknown);
            }

            var count = root.GetProperty("statements").GetArrayLength();
            if (count == 0)
            {
                return new DuckDbException("the query is empty", DuckDbErrorType.Parser);
            }

            if (count > 1)
            {
                return new DuckDbException($"one statement at a time: this text holds {count}", DuckDbErrorType.Parser);
            }
        }

        if (_readOnlyTexts.Count >= 256)
        {
            _readOnlyTexts.Clear();
        }

        _readOnlyTexts.Add(sql);
        return null;
    }

    /// <summary>The kind of a statement that is not a SELECT, for the refusal's message (prepares it, never runs it).</summary>
    private string KindOf(string sql)
    {
        NativeMethods.ExtractStatements(_handle, sql, out var extracted);
        var prepared = (nint)0;
        try
        {
            return NativeMethods.PrepareExtracted(_handle, extracted, 0, out prepared) == NativeMethods.Success
                ? StatementKind(NativeMethods.PreparedStatementType(prepared))
                : "not a query";
        }
        finally
        {
            if (prepared != 0)
            {
                NativeMethods.DestroyPrepare(ref prepared);
            }

            NativeMethods.DestroyExtracted(ref extracted);
        }
    }

    private const int SelectStatement = 1;

    private static string StatementKind(int kind) => kind switch
    {
        2 => "INSERT",
        3 => "UPDATE",
        4 => "EXPLAIN",
        5 => "DELETE",
        7 => "CREATE",
        11 => "COPY",
        13 or 20 => "SET",
        15 => "DROP",
        16 => "EXPORT",
        17 => "PRAGMA",
        19 => "CALL",
        21 => "LOAD",
        23 => "INSTALL",
        25 => "ATTACH",
        26 => "DETACH",
        _ => $"statement of kind {kind}",
    };

    /// <summary>Asks a query running on this connection (from another thread) to stop.</summary>
    public void Interrupt()
    {
        if (_handle != 0)
        {
            NativeMethods.Interrupt(_handle);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_handle != 0)
        {
            NativeMethods.Disconnect(ref _handle);
            _handle = 0;
        }
    }
}

/// <summary>A whole result in memory.</summary>
/// <param name="Columns">Column names and DuckDB type names, in order.</param>
/// <param name="Rows">Rows as .NET values (see <see cref="DuckDbResult"/> for the mapping).</param>
public sealed record QueryResult(IReadOnlyList<QueryColumn> Columns, IReadOnlyList<object?[]> Rows);

/// <summary>A result column.</summary>
/// <param name="Name">The column's name.</param>
/// <param name="Type">DuckDB's name for its type, such as <c>BIGINT</c> or <c>STRUCT</c>.</param>
/// <param name="Fields">For a STRUCT, its field names in order; otherwise empty.</param>
public sealed record QueryColumn(string Name, string Type, IReadOnlyList<string> Fields)
{
    /// <summary>A column that is not a struct.</summary>
    public QueryColumn(string name, string type)
        : this(name, type, [])
    {
    }
}
