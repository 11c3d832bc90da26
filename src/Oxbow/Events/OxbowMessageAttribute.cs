namespace Oxbow;

/// <summary>
/// Marks a <c>static partial void</c> method whose body Oxbow's source generator writes: a typed, checked log call
/// for a hot call site, like <c>[LoggerMessage]</c>.
/// <code>
/// [OxbowMessage(OxLevel.Info, "Order {OrderId} shipped to {Country}")]
/// static partial void OrderShipped(this OxLogger log, int orderId, string country);
/// </code>
/// </summary>
/// <remarks>
/// The method needs an <see cref="OxLogger"/> parameter and may have one <see cref="Exception"/> parameter; every
/// other parameter must fill a hole of the same name (case-insensitive), and every hole must have a parameter. Mistakes
/// are compile errors (OXB0001 to OXB0004). The generated body checks the level, then writes the event as
/// <see cref="OxLogger.Write{T1}(OxLevel, string, T1)"/> does: <c>message</c>, <c>template</c> and one typed field
/// per hole, named as written in the template.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class OxbowMessageAttribute(OxLevel level, string template) : Attribute
{
    /// <summary>The event's level.</summary>
    public OxLevel Level { get; } = level;

    /// <summary>The message template, such as <c>Order {OrderId} shipped</c>.</summary>
    public string Template { get; } = template;
}
