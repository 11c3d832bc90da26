using System.Runtime.InteropServices;

namespace Oxbow.DuckDb;

/// <summary>
/// The part of DuckDB's C API (<c>duckdb.h</c>, v1.5) that Oxbow uses: open/connect, query, the chunk/vector result
/// API and logical types. Handles are plain pointers here; <see cref="DuckDbDatabase"/> and
/// <see cref="DuckDbConnection"/> own them.
/// </summary>
internal static unsafe partial class NativeMethods
{
    internal const string Library = "duckdb";

    internal const int Success = 0;

    [LibraryImport(Library, EntryPoint = "duckdb_library_version")]
    internal static partial nint LibraryVersion();

    [LibraryImport(Library, EntryPoint = "duckdb_create_config")]
    internal static partial int CreateConfig(out nint config);

    [LibraryImport(Library, EntryPoint = "duckdb_set_config", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int SetConfig(nint config, string name, string option);

    [LibraryImport(Library, EntryPoint = "duckdb_destroy_config")]
    internal static partial void DestroyConfig(ref nint config);

    [LibraryImport(Library, EntryPoint = "duckdb_open_ext", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int OpenExt(string? path, out nint database, nint config, out nint error);

    [LibraryImport(Library, EntryPoint = "duckdb_close")]
    internal static partial void Close(ref nint database);

    [LibraryImport(Library, EntryPoint = "duckdb_connect")]
    internal static partial int Connect(nint database, out nint connection);

    [LibraryImport(Library, EntryPoint = "duckdb_disconnect")]
    internal static partial void Disconnect(ref nint connection);

    [LibraryImport(Library, EntryPoint = "duckdb_interrupt")]
    internal static partial void Interrupt(nint connection);

    [LibraryImport(Library, EntryPoint = "duckdb_query", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Query(nint connection, string sql, NativeResult* result);

    [LibraryImport(Library, EntryPoint = "duckdb_extract_statements", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial ulong ExtractStatements(nint connection, string sql, out nint extracted);

    [LibraryImport(Library, EntryPoint = "duckdb_extract_statements_error")]
    internal static partial nint ExtractStatementsError(nint extracted);

    [LibraryImport(Library, EntryPoint = "duckdb_destroy_extracted")]
    internal static partial void DestroyExtracted(ref nint extracted);

    [LibraryImport(Library, EntryPoint = "duckdb_prepare_extracted_statement")]
    internal static partial int PrepareExtracted(nint connection, nint extracted, ulong index, out nint prepared);

    [LibraryImport(Library, EntryPoint = "duckdb_prepared_statement_type")]
    internal static partial int PreparedStatementType(nint prepared);

    [LibraryImport(Library, EntryPoint = "duckdb_destroy_prepare")]
    internal static partial void DestroyPrepare(ref nint prepared);

    [LibraryImport(Library, EntryPoint = "duckdb_destroy_result")]
    internal static partial void DestroyResult(NativeResult* result);

    [LibraryImport(Library, EntryPoint = "duckdb_result_error")]
    internal static partial nint ResultError(NativeResult* result);

    [LibraryImport(Library, EntryPoint = "duckdb_result_error_type")]
    internal static partial int ResultErrorType(NativeResult* result);

    [LibraryImport(Library, EntryPoint = "duckdb_column_count")]
    internal static partial ulong ColumnCount(NativeResult* result);

    // Deprecated in the C API, but the one way to learn a materialized result's size before reading it.
    [LibraryImport(Library, EntryPoint = "duckdb_row_count")]
    internal static partial ulong RowCount(NativeResult* result);

    [LibraryImport(Library, EntryPoint = "duckdb_column_name")]
    internal static partial nint ColumnName(NativeResult* result, ulong column);

    [LibraryImport(Library, EntryPoint = "duckdb_column_logical_type")]
    internal static partial nint ColumnLogicalType(NativeResult* result, ulong column);

    /// <summary>Takes the result struct by value, as the C API does; returns null when the result is exhausted.</summary>
    [LibraryImport(Library, EntryPoint = "duckdb_fetch_chunk")]
    internal static partial nint FetchChunk(NativeResult result);

    [LibraryImport(Library, EntryPoint = "duckdb_data_chunk_get_size")]
    internal static partial ulong ChunkSize(nint chunk);

    [LibraryImport(Library, EntryPoint = "duckdb_data_chunk_get_vector")]
    internal static partial nint ChunkVector(nint chunk, ulong column);

    [LibraryImport(Library, EntryPoint = "duckdb_destroy_data_chunk")]
    internal static partial void DestroyChunk(ref nint chunk);

    [LibraryImport(Library, EntryPoint = "duckdb_vector_get_data")]
    internal static partial void* VectorData(nint vector);

    [LibraryImport(Library, EntryPoint = "duckdb_vector_get_validity")]
    internal static partial ulong* VectorValidity(nint vector);

    [LibraryImport(Library, EntryPoint = "duckdb_list_vector_get_child")]
    internal static partial nint ListChild(nint vector);

    [LibraryImport(Library, EntryPoint = "duckdb_array_vector_get_child")]
    internal static partial nint ArrayChild(nint vector);

    [LibraryImport(Library, EntryPoint = "duckdb_struct_vector_get_child")]
    internal static partial nint StructChild(nint vector, ulong index);

    [LibraryImport(Library, EntryPoint = "duckdb_get_type_id")]
    internal static partial DuckDbType TypeId(nint logicalType);

    [LibraryImport(Library, EntryPoint = "duckdb_destroy_logical_type")]
    internal static partial void DestroyLogicalType(ref nint logicalType);

    [LibraryImport(Library, EntryPoint = "duckdb_list_type_child_type")]
    internal static partial nint ListChildType(nint logicalType);

    [LibraryImport(Library, EntryPoint = "duckdb_array_type_child_type")]
    internal static partial nint ArrayChildType(nint logicalType);

    [LibraryImport(Library, EntryPoint = "duckdb_array_type_array_size")]
    internal static partial ulong ArraySize(nint logicalType);

    [LibraryImport(Library, EntryPoint = "duckdb_struct_type_child_count")]
    internal static partial ulong StructChildCount(nint logicalType);

    /// <summary>Returns memory the caller frees with <see cref="Free"/>.</summary>
    [LibraryImport(Library, EntryPoint = "duckdb_struct_type_child_name")]
    internal static partial nint StructChildName(nint logicalType, ulong index);

    [LibraryImport(Library, EntryPoint = "duckdb_struct_type_child_type")]
    internal static partial nint StructChildType(nint logicalType, ulong index);

    [LibraryImport(Library, EntryPoint = "duckdb_decimal_scale")]
    internal static partial byte DecimalScale(nint logicalType);

    [LibraryImport(Library, EntryPoint = "duckdb_decimal_internal_type")]
    internal static partial DuckDbType DecimalInternalType(nint logicalType);

    [LibraryImport(Library, EntryPoint = "duckdb_enum_internal_type")]
    internal static partial DuckDbType EnumInternalType(nint logicalType);

    /// <summary>Returns memory the caller frees with <see cref="Free"/>.</summary>
    [LibraryImport(Library, EntryPoint = "duckdb_enum_dictionary_value")]
    internal static partial nint EnumDictionaryValue(nint logicalType, ulong index);

    [LibraryImport(Library, EntryPoint = "duckdb_enum_dictionary_size")]
    internal static partial uint EnumDictionarySize(nint logicalType);

    [LibraryImport(Library, EntryPoint = "duckdb_union_type_member_count")]
    internal static partial ulong UnionMemberCount(nint logicalType);

    /// <summary>Returns memory the caller frees with <see cref="Free"/>.</summary>
    [LibraryImport(Library, EntryPoint = "duckdb_union_type_member_name")]
    internal static partial nint UnionMemberName(nint logicalType, ulong index);

    [LibraryImport(Library, EntryPoint = "duckdb_union_type_member_type")]
    internal static partial nint UnionMemberType(nint logicalType, ulong index);

    [LibraryImport(Library, EntryPoint = "duckdb_free")]
    internal static partial void Free(nint pointer);

    /// <summary>Reads a NUL-terminated UTF-8 string that DuckDB allocated, then frees it.</summary>
    internal static string TakeString(nint pointer)
    {
        try
        {
            return Marshal.PtrToStringUTF8(pointer) ?? "";
        }
        finally
        {
            if (pointer != 0)
            {
                Free(pointer);
            }
        }
    }
}

/// <summary><c>duckdb_result</c>: five deprecated fields, then the internal pointer. Only DuckDB reads it.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeResult
{
    public ulong DeprecatedColumnCount;
    public ulong DeprecatedRowCount;
    public ulong DeprecatedRowsChanged;
    public nint DeprecatedColumns;
    public nint DeprecatedErrorMessage;
    public nint InternalData;
}

/// <summary><c>duckdb_type</c>, with the values of <c>duckdb.h</c> v1.5.</summary>
internal enum DuckDbType
{
    Invalid = 0,
    Boolean = 1,
    TinyInt = 2,
    SmallInt = 3,
    Integer = 4,
    BigInt = 5,
    UTinyInt = 6,
    USmallInt = 7,
    UInteger = 8,
    UBigInt = 9,
    Float = 10,
    Double = 11,
    Timestamp = 12,
    Date = 13,
    Time = 14,
    Interval = 15,
    HugeInt = 16,
    Varchar = 17,
    Blob = 18,
    Decimal = 19,
    TimestampS = 20,
    TimestampMs = 21,
    TimestampNs = 22,
    Enum = 23,
    List = 24,
    Struct = 25,
    Map = 26,
    Uuid = 27,
    Union = 28,
    Bit = 29,
    TimeTz = 30,
    TimestampTz = 31,
    UHugeInt = 32,
    Array = 33,
    Any = 34,
    BigNum = 35,
    SqlNull = 36,
}
