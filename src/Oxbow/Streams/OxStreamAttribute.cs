namespace Oxbow.Streams;

/// <summary>
/// Declares a class or record as a typed stream (see <see cref="OxStream{T}"/>). Its public properties are the
/// stream's fields, constrained with the usual <c>System.ComponentModel.DataAnnotations</c> attributes:
/// <c>[Required]</c>, <c>[Range]</c>, <c>[RegularExpression]</c>, <c>[StringLength]</c>, <c>[MinLength]</c>,
/// <c>[MaxLength]</c>, <c>[Length]</c> and <c>[AllowedValues]</c>. An enum property allows only its declared members.
/// A field's name is <c>[JsonPropertyName]</c> when present, otherwise the property name in snake_case.
/// </summary>
/// <param name="name">The event type; default the class name in snake_case.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class OxStreamAttribute(string? name = null) : Attribute
{
    /// <summary>The event type, or null for the class name in snake_case.</summary>
    public string? Name { get; } = name;
}
