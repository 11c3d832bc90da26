using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;

namespace Oxbow;

/// <summary>The objects being captured above the current one: a cycle is detected by reference, without allocating a set.</summary>
internal sealed class ObjectPath(object value, ObjectPath? parent, int objectDepth)
{
    public int ObjectDepth { get; } = objectDepth;

    public bool Contains(object candidate)
    {
        for (var node = this; node is not null; node = node._parent)
        {
            if (ReferenceEquals(node._value, candidate))
            {
                return true;
            }
        }

        return false;
    }

    private readonly object _value = value;
    private readonly ObjectPath? _parent = parent;
}

/// <summary>
/// Captures POCOs, records and anonymous objects as nested maps of their public instance properties, as Serilog's
/// <c>{@Obj}</c> does. Each type's properties are read once, into compiled getters, so no reflection runs per call.
/// </summary>
/// <remarks>
/// Framework types (namespace <c>System</c> or <c>Microsoft</c>) that no other rule handles are written with
/// <c>ToString()</c>: their properties describe the runtime (a <c>CultureInfo</c>, a <c>Thread</c>), not data.
/// A type without public properties is also written with <c>ToString()</c>. A reference seen again on the path from
/// the root is written as <c>[cycle]</c>; objects nested deeper than <see cref="FieldValue.MaxObjectDepth"/> with
/// <c>ToString()</c>.
/// </remarks>
internal static class ObjectCapture
{
    private static readonly ConcurrentDictionary<Type, Getter[]?> s_getters = new();

    public static object? Capture(object value, int depth, ObjectPath? path)
    {
        var getters = s_getters.GetOrAdd(value.GetType(), Build);
        var objectDepth = path?.ObjectDepth ?? 0;
        if (getters is null || objectDepth >= FieldValue.MaxObjectDepth || depth >= FieldValue.MaxDepth)
        {
            return PlainText(value);
        }

        if (path is not null && !value.GetType().IsValueType && path.Contains(value))
        {
            return "[cycle]";
        }

        var inner = new ObjectPath(value, path, objectDepth + 1);
        var map = new FieldMap();
        foreach (var getter in getters)
        {
            object? property;
            try
            {
                property = getter.Read(value);
            }
            catch (Exception ex)
            {
                map.SetRaw(getter.Name, FieldValue.Failed(ex));
                continue;
            }

            map.SetRaw(getter.Name, FieldValue.Safely(property, depth + 1, inner));
        }

        return map;
    }

    private static string? PlainText(object value)
    {
        try
        {
            return value.ToString();
        }
        catch (Exception ex)
        {
            return FieldValue.Failed(ex);
        }
    }

    private static Getter[]? Build(Type type)
    {
        if (type.Namespace is { } ns && (ns == "System" || ns.StartsWith("System.", StringComparison.Ordinal)
            || ns == "Microsoft" || ns.StartsWith("Microsoft.", StringComparison.Ordinal)))
        {
            return null;
        }

        var getters = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0
                && !p.PropertyType.IsByRefLike && !p.PropertyType.IsPointer)
            .Select(p => new Getter(p.Name, Compile(type, p)))
            .ToArray();
        return getters.Length == 0 ? null : getters;
    }

    /// <summary>(object o) => (object)((T)o).Property: one compiled delegate per property, built once per type.</summary>
    private static Func<object, object?> Compile(Type type, PropertyInfo property)
    {
        var instance = Expression.Parameter(typeof(object), "o");
        var read = Expression.Property(Expression.Convert(instance, type), property);
        return Expression.Lambda<Func<object, object?>>(Expression.Convert(read, typeof(object)), instance).Compile();
    }

    private sealed record Getter(string Name, Func<object, object?> Read);
}
