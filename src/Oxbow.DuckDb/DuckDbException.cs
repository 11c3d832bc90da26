namespace Oxbow.DuckDb;

/// <summary>A DuckDB failure, carrying DuckDB's own message (for example <c>Parser Error: syntax error at or near "SELEC"</c>).</summary>
public sealed class DuckDbException(string message, DuckDbErrorType errorType) : Exception(message)
{
    /// <summary>DuckDB's classification of the error.</summary>
    public DuckDbErrorType ErrorType { get; } = errorType;
}

/// <summary>The classes of <c>duckdb_error_type</c> that callers act on; every other class maps to <see cref="Unknown"/>.</summary>
public enum DuckDbErrorType
{
    /// <summary>Any other class of error.</summary>
    Unknown = 0,

    /// <summary>A value out of range.</summary>
    OutOfRange = 1,

    /// <summary>A failed conversion between types.</summary>
    Conversion = 2,

    /// <summary>An unknown table, view, function or column: <c>Catalog Error</c>.</summary>
    Catalog = 13,

    /// <summary>SQL that does not parse: <c>Parser Error</c>.</summary>
    Parser = 14,

    /// <summary>A failure while executing.</summary>
    Executor = 17,

    /// <summary>A name that does not bind: <c>Binder Error</c>.</summary>
    Binder = 24,

    /// <summary>A file that cannot be read or written: <c>IO Error</c>.</summary>
    IO = 28,

    /// <summary>The query was interrupted.</summary>
    Interrupt = 29,

    /// <summary>Input that is not valid, such as malformed JSON: <c>Invalid Input Error</c>.</summary>
    InvalidInput = 32,
}
