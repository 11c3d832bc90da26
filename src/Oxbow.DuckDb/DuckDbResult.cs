using System.Runtime.InteropServices;

namespace Oxbow.DuckDb;

/// <summary>
/// A query result, read one data chunk (up to 2,048 rows) at a time through DuckDB's vector API. Values map to .NET
/// as: integers to <see cref="long"/> (unsigned to <see cref="ulong"/>, 128-bit to <see cref="Int128"/>/<see cref="UInt128"/>),
/// FLOAT/DOUBLE to <see cref="double"/>, DECIMAL to <see cref="decimal"/>, VARCHAR and ENUM to <see cref="string"/>,
/// BLOB to <see cref="byte"/>[], timestamps to UTC <see cref="DateTime"/>, DATE to <see cref="DateOnly"/>, TIME to
/// <see cref="TimeOnly"/>, INTERVAL to <see cref="DuckDbInterval"/>, UUID to <see cref="Guid"/>, LIST/ARRAY to
/// <see cref="object"/>[], STRUCT/MAP/UNION to an ordered dictionary, NULL to null.
/// </summary>
public sealed unsafe class DuckDbResult : IDisposable
{
    private NativeResult* _native;
    private readonly VectorReader[] _readers;

    internal DuckDbResult(NativeResult* native)
    {
        _native = native;
        var count = (int)NativeMethods.ColumnCount(native);
        var columns = new QueryColumn[count];
        _readers = new VectorReader[count];
        for (var i = 0; i < count; i++)
        {
            var logical = NativeMethods.ColumnLogicalType(native, (ulong)i);
            try
            {
                var name = Marshal.PtrToStringUTF8(NativeMethods.ColumnName(native, (ulong)i)) ?? "";
                columns[i] = new QueryColumn(name, VectorReader.TypeName(logical), VectorReader.StructFields(logical));
                _readers[i] = VectorReader.Create(logical);
            }
            finally
            {
                NativeMethods.DestroyLogicalType(ref logical);
            }
        }

        Columns = columns;
    }

    /// <summary>The result's columns.</summary>
    public IReadOnlyList<QueryColumn> Columns { get; }

    /// <summary>
    /// How many rows the result holds: known before reading them, because <c>duckdb_query</c> materializes its result
    /// (so a caller can say "truncated" in a header before streaming the rows).
    /// </summary>
    public long RowCount => _native == null ? throw new ObjectDisposedException(nameof(DuckDbResult)) : (long)NativeMethods.RowCount(_native);

    /// <summary>The rows, fetched chunk by chunk; enumerate once. Each chunk is freed before the next is fetched.</summary>
    public IEnumerable<object?[]> Rows()
    {
        while (true)
        {
            var chunk = FetchChunk();
            if (chunk == 0)
            {
                yield break;
            }

            try
            {
                var size = NativeMethods.ChunkSize(chunk);
                for (var c = 0; c < _readers.Length; c++)
                {
                    _readers[c].Bind(NativeMethods.ChunkVector(chunk, (ulong)c));
                }

                for (ulong row = 0; row < size; row++)
                {
                    var values = new object?[_readers.Length];
                    for (var c = 0; c < _readers.Length; c++)
                    {
                        values[c] = _readers[c].Get(row);
                    }

                    yield return values;
                }
            }
            finally
            {
                NativeMethods.DestroyChunk(ref chunk);
            }
        }
    }

    private nint FetchChunk()
    {
        ObjectDisposedException.ThrowIf(_native == null, this);
        return NativeMethods.FetchChunk(*_native);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_native != null)
        {
            NativeMethods.DestroyResult(_native);
            NativeMemory.Free(_native);
            _native = null;
        }
    }
}

/// <summary>A DuckDB INTERVAL: months, days and microseconds are kept apart, as DuckDB keeps them.</summary>
public readonly record struct DuckDbInterval(int Months, int Days, long Micros);
