using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Oxbow.DuckDb;

/// <summary>
/// Reads one column's values out of a DuckDB vector. Built once per result column from its logical type, then bound
/// to each chunk's vector: binding fetches the data and validity pointers (and child vectors) once per chunk, so a
/// value is a pointer read, not a native call.
/// </summary>
internal abstract unsafe class VectorReader
{
    protected void* Data;
    private ulong* _validity;

    public virtual void Bind(nint vector)
    {
        Data = NativeMethods.VectorData(vector);
        _validity = NativeMethods.VectorValidity(vector);
    }

    public object? Get(ulong row) =>
        _validity == null || (_validity[row >> 6] & (1UL << (int)(row & 63))) != 0 ? Read(row) : null;

    protected abstract object Read(ulong row);

    /// <summary>A reader for a logical type; the caller still owns (and destroys) <paramref name="logical"/>.</summary>
    public static VectorReader Create(nint logical)
    {
        var type = NativeMethods.TypeId(logical);
        return type switch
        {
            // The common types read without a delegate call per value (about 10% of reading a wide result).
            DuckDbType.Boolean => new Booleans(),
            DuckDbType.TinyInt => new Fixed<sbyte>(v => (long)v),
            DuckDbType.SmallInt => new Fixed<short>(v => (long)v),
            DuckDbType.Integer => new Int32s(),
            DuckDbType.BigInt => new Int64s(),
            DuckDbType.UTinyInt => new Fixed<byte>(v => (ulong)v),
            DuckDbType.USmallInt => new Fixed<ushort>(v => (ulong)v),
            DuckDbType.UInteger => new Fixed<uint>(v => (ulong)v),
            DuckDbType.UBigInt => new Fixed<ulong>(v => v),
            DuckDbType.HugeInt => new Fixed<Int128>(v => v),
            DuckDbType.UHugeInt => new Fixed<UInt128>(v => v),
            DuckDbType.Float => new Fixed<float>(v => (double)v),
            DuckDbType.Double => new Doubles(),
            DuckDbType.Timestamp or DuckDbType.TimestampTz => new Microseconds(),
            DuckDbType.TimestampS => new Fixed<long>(v => FromUnix(v, TimeSpan.TicksPerSecond)),
            DuckDbType.TimestampMs => new Fixed<long>(v => FromUnix(v, TimeSpan.TicksPerMillisecond)),
            DuckDbType.TimestampNs => new Fixed<long>(v => FromUnix(v / 100, 1)),
            DuckDbType.Date => new Fixed<int>(v => DateOnly.FromDayNumber(Math.Clamp(UnixDay + v, 0, DateOnly.MaxValue.DayNumber))),
            DuckDbType.Time => new Fixed<long>(v => new TimeOnly(Math.Clamp(v * 10, 0, TimeOnly.MaxValue.Ticks))),
            DuckDbType.TimeTz => new Fixed<ulong>(v => new TimeOnly(Math.Clamp((long)(v >> 24) * 10, 0, TimeOnly.MaxValue.Ticks))),
            DuckDbType.Interval => new Fixed<DuckDbInterval>(v => v),
            DuckDbType.Uuid => new Fixed<Int128>(ToGuid),
            DuckDbType.Varchar => new Text(),
            DuckDbType.Blob or DuckDbType.Bit => new Bytes(),
            DuckDbType.Decimal => Decimal(logical),
            DuckDbType.Enum => new EnumText(logical),
            DuckDbType.List => new ListOf(WithChild(NativeMethods.ListChildType(logical))),
            DuckDbType.Array => new ArrayOf(WithChild(NativeMethods.ArrayChildType(logical)), NativeMethods.ArraySize(logical)),
            DuckDbType.Struct => new StructOf(logical),
            DuckDbType.Map => new MapOf(WithChild(NativeMethods.ListChildType(logical))),
            DuckDbType.Union => new UnionOf(logical),
            DuckDbType.SqlNull => new Nothing(),
            _ => throw new DuckDbException($"a result column has type {type}, which Oxbow cannot read; cast it, for example to VARCHAR", DuckDbErrorType.Conversion),
        };
    }

    /// <summary>DuckDB's name for a type, as shown in result headers.</summary>
    public static string TypeName(nint logical) => NativeMethods.TypeId(logical) switch
    {
        DuckDbType.TinyInt => "TINYINT",
        DuckDbType.SmallInt => "SMALLINT",
        DuckDbType.Integer => "INTEGER",
        DuckDbType.BigInt => "BIGINT",
        DuckDbType.HugeInt => "HUGEINT",
        DuckDbType.UTinyInt => "UTINYINT",
        DuckDbType.USmallInt => "USMALLINT",
        DuckDbType.UInteger => "UINTEGER",
        DuckDbType.UBigInt => "UBIGINT",
        DuckDbType.UHugeInt => "UHUGEINT",
        DuckDbType.TimestampTz => "TIMESTAMP WITH TIME ZONE",
        DuckDbType.TimestampS => "TIMESTAMP_S",
        DuckDbType.TimestampMs => "TIMESTAMP_MS",
        DuckDbType.TimestampNs => "TIMESTAMP_NS",
        DuckDbType.TimeTz => "TIME WITH TIME ZONE",
        DuckDbType.SqlNull => "NULL",
        var other => other.ToString().ToUpperInvariant(),
    };

    /// <summary>A STRUCT's field names; empty for any other type.</summary>
    public static IReadOnlyList<string> StructFields(nint logical)
    {
        if (NativeMethods.TypeId(logical) != DuckDbType.Struct)
        {
            return [];
        }

        var names = new string[NativeMethods.StructChildCount(logical)];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = NativeMethods.TakeString(NativeMethods.StructChildName(logical, (ulong)i));
        }

        return names;
    }

    private static readonly int UnixDay = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;

    private static DateTime FromUnix(long units, long ticksPerUnit)
    {
        // DuckDB's infinity and values beyond .NET's range saturate rather than throw.
        var max = (DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks) / ticksPerUnit;
        var min = -DateTime.UnixEpoch.Ticks / ticksPerUnit;
        return units >= max ? DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc)
            : units <= min ? DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc)
            : new DateTime(DateTime.UnixEpoch.Ticks + (units * ticksPerUnit), DateTimeKind.Utc);
    }

    private static object ToGuid(Int128 stored)
    {
        // DuckDB flips the top bit so that UUIDs sort as signed 128-bit integers; the bytes are then big-endian.
        var value = (UInt128)stored ^ ((UInt128)1 << 127);
        Span<byte> bytes = stackalloc byte[16];
        for (var i = 15; i >= 0; i--)
        {
            bytes[i] = (byte)(value & 0xFF);
            value >>= 8;
        }

        return new Guid(bytes, bigEndian: true);
    }

    private static VectorReader WithChild(nint childType)
    {
        try
        {
            return Create(childType);
        }
        finally
        {
            NativeMethods.DestroyLogicalType(ref childType);
        }
    }

    private static VectorReader Decimal(nint logical)
    {
        var scale = NativeMethods.DecimalScale(logical);
        return NativeMethods.DecimalInternalType(logical) switch
        {
            DuckDbType.SmallInt => new Fixed<short>(v => ToDecimal(v, scale)),
            DuckDbType.Integer => new Fixed<int>(v => ToDecimal(v, scale)),
            DuckDbType.BigInt => new Fixed<long>(v => ToDecimal(v, scale)),
            _ => new Fixed<Int128>(v => ToDecimal(v, scale)),
        };
    }

    private static object ToDecimal(Int128 unscaled, byte scale)
    {
        var magnitude = (UInt128)(unscaled < 0 ? -unscaled : unscaled);
        if (magnitude >> 96 != 0 || scale > 28)
        {
            // Wider than System.Decimal: the nearest double.
            return (double)unscaled / Math.Pow(10, scale);
        }

        return new decimal((int)(uint)magnitude, (int)(uint)(magnitude >> 32), (int)(uint)(magnitude >> 64), unscaled < 0, scale);
    }

    /// <summary><c>duckdb_string_t</c>: a 4-byte length, then up to 12 bytes inline or a 4-byte prefix and a pointer.</summary>
    private static ReadOnlySpan<byte> StringAt(void* data, ulong row)
    {
        var entry = (byte*)data + (row * 16);
        var length = *(uint*)entry;
        var start = length <= 12 ? entry + 4 : *(byte**)(entry + 8);
        return new ReadOnlySpan<byte>(start, checked((int)length));
    }

    private sealed class Fixed<T>(Func<T, object> convert) : VectorReader where T : unmanaged
    {
        protected override object Read(ulong row) => convert(((T*)Data)[row]);
    }

    private sealed class Booleans : VectorReader
    {
        // One boxed true and one boxed false for every value read.
        private static readonly object True = true;
        private static readonly object False = false;

        protected override object Read(ulong row) => ((byte*)Data)[row] != 0 ? True : False;
    }

    private sealed class Int32s : VectorReader
    {
        protected override object Read(ulong row) => (long)((int*)Data)[row];
    }

    private sealed class Int64s : VectorReader
    {
        protected override object Read(ulong row) => ((long*)Data)[row];
    }

    private sealed class Doubles : VectorReader
    {
        protected override object Read(ulong row) => ((double*)Data)[row];
    }

    private sealed class Microseconds : VectorReader
    {
        protected override object Read(ulong row) => FromUnix(((long*)Data)[row], 10);
    }

    private sealed class Text : VectorReader
    {
        protected override object Read(ulong row)
        {
            return Encoding.UTF8.GetString(StringAt(Data, row));
        }
    }

    private sealed class Bytes : VectorReader
    {
        protected override object Read(ulong row)
        {
            return StringAt(Data, row).ToArray();
        }
    }

    private sealed class Nothing : VectorReader
    {
        public override void Bind(nint vector)
        {
        }

        protected override object Read(ulong row) => throw new UnreachableException();
    }

    private sealed class EnumText : VectorReader
    {
        private readonly string[] _dictionary;
        private readonly DuckDbType _storage;

        public EnumText(nint logical)
        {
            _storage = NativeMethods.EnumInternalType(logical);
            _dictionary = new string[NativeMethods.EnumDictionarySize(logical)];
            for (var i = 0; i < _dictionary.Length; i++)
            {
                _dictionary[i] = NativeMethods.TakeString(NativeMethods.EnumDictionaryValue(logical, (ulong)i));
            }
        }

        protected override object Read(ulong row) => _dictionary[_storage switch
        {
            DuckDbType.UTinyInt => ((byte*)Data)[row],
            DuckDbType.USmallInt => ((ushort*)Data)[row],
            _ => (int)((uint*)Data)[row],
        }];
    }

    private sealed class ListOf(VectorReader child) : VectorReader
    {
        public override void Bind(nint vector)
        {
            base.Bind(vector);
            child.Bind(NativeMethods.ListChild(vector));
        }

        protected override object Read(ulong row)
        {
            var entry = (ulong*)Data + (row * 2);
            var items = new object?[entry[1]];
            for (ulong i = 0; i < entry[1]; i++)
            {
                items[i] = child.Get(entry[0] + i);
            }

            return items;
        }
    }

    private sealed class ArrayOf(VectorReader child, ulong size) : VectorReader
    {
        public override void Bind(nint vector)
        {
            base.Bind(vector);
            child.Bind(NativeMethods.ArrayChild(vector));
        }

        protected override object Read(ulong row)
        {
            var items = new object?[size];
            for (ulong i = 0; i < size; i++)
            {
                items[i] = child.Get((row * size) + i);
            }

            return items;
        }
    }

    private sealed class StructOf : VectorReader
    {
        private readonly string[] _names;
        private readonly VectorReader[] _children;

        public StructOf(nint logical)
        {
            var count = (int)NativeMethods.StructChildCount(logical);
            _names = new string[count];
            _children = new VectorReader[count];
            for (var i = 0; i < count; i++)
            {
                _names[i] = NativeMethods.TakeString(NativeMethods.StructChildName(logical, (ulong)i));
                _children[i] = WithChild(NativeMethods.StructChildType(logical, (ulong)i));
            }
        }

        public override void Bind(nint vector)
        {
            base.Bind(vector);
            for (var i = 0; i < _children.Length; i++)
            {
                _children[i].Bind(NativeMethods.StructChild(vector, (ulong)i));
            }
        }

        protected override object Read(ulong row)
        {
            var fields = new OrderedDictionary<string, object?>(_names.Length, StringComparer.Ordinal);
            for (var i = 0; i < _names.Length; i++)
            {
                fields[_names[i]] = _children[i].Get(row);
            }

            return fields;
        }
    }

    /// <summary>A MAP is a list of {key, value} structs; read as a dictionary keyed by the key's text.</summary>
    private sealed class MapOf(VectorReader entries) : VectorReader
    {
        public override void Bind(nint vector)
        {
            base.Bind(vector);
            entries.Bind(NativeMethods.ListChild(vector));
        }

        protected override object Read(ulong row)
        {
            var entry = (ulong*)Data + (row * 2);
            var map = new OrderedDictionary<string, object?>((int)entry[1], StringComparer.Ordinal);
            for (ulong i = 0; i < entry[1]; i++)
            {
                if (entries.Get(entry[0] + i) is OrderedDictionary<string, object?> pair)
                {
                    map[Convert.ToString(pair.GetValueOrDefault("key"), CultureInfo.InvariantCulture) ?? ""] = pair.GetValueOrDefault("value");
                }
            }

            return map;
        }
    }

    /// <summary>A UNION is stored as a struct whose first child is the tag; read as {member: value}.</summary>
    private sealed class UnionOf : VectorReader
    {
        private readonly string[] _names;
        private readonly VectorReader[] _members;
        private byte* _tags;

        public UnionOf(nint logical)
        {
            var count = (int)NativeMethods.UnionMemberCount(logical);
            _names = new string[count];
            _members = new VectorReader[count];
            for (var i = 0; i < count; i++)
            {
                _names[i] = NativeMethods.TakeString(NativeMethods.UnionMemberName(logical, (ulong)i));
                _members[i] = WithChild(NativeMethods.UnionMemberType(logical, (ulong)i));
            }
        }

        public override void Bind(nint vector)
        {
            base.Bind(vector);
            _tags = (byte*)NativeMethods.VectorData(NativeMethods.StructChild(vector, 0));
            for (var i = 0; i < _members.Length; i++)
            {
                _members[i].Bind(NativeMethods.StructChild(vector, (ulong)i + 1));
            }
        }

        protected override object Read(ulong row)
        {
            var tag = _tags[row];
            return new OrderedDictionary<string, object?>(1, StringComparer.Ordinal) { [_names[tag]] = _members[tag].Get(row) };
        }
    }
}
