namespace Oxbow.Streams;

/// <summary>
/// A typed entry broke its stream's rules. Nothing was sent. The message names the stream, the field, the value and
/// what is allowed, for example <c>postcode_search.product: "boats" is not one of tax, benefits, pensions</c>.
/// </summary>
public sealed class OxStreamValidationException : ArgumentException
{
    internal OxStreamValidationException(string stream, string field, object? value, string allowed, string problem)
        : base($"{stream}.{field}: {problem}")
    {
        Stream = stream;
        Field = field;
        Value = value;
        Allowed = allowed;
    }

    /// <summary>The stream (event type).</summary>
    public string Stream { get; }

    /// <summary>The field's name in the event.</summary>
    public string Field { get; }

    /// <summary>The value that was refused (null when a required field is missing).</summary>
    public object? Value { get; }

    /// <summary>What the field allows, in words.</summary>
    public string Allowed { get; }
}
