using System.Globalization;
using Oxbow.Codec;

namespace Oxbow.Templates;

/// <summary>
/// A value as text in a rendered message: what an interpolated string shows, but culture-invariant so a message
/// reads the same on every machine. The common value types format into a stack buffer without boxing.
/// </summary>
/// <remarks>
/// Strings appear as they are (no quotes), <c>null</c> as <c>null</c>, booleans as <c>true</c>/<c>false</c> (as in
/// the JSON beside them), dates and times without a format as ISO 8601 (<c>O</c>), and anything else through its
/// <see cref="IFormattable"/> or <c>ToString()</c>. A <c>ToString()</c> that throws shows as <c>&lt;error: Type&gt;</c>.
/// </remarks>
internal static class ValueText
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Writes the escaped text of <paramref name="value"/>, padded to <paramref name="alignment"/>.</summary>
    public static void Write<T>(Utf8EventWriter output, T value, string? format, int alignment)
    {
        Span<char> buffer = stackalloc char[128];
        Pad(output, Format(value, format, buffer), alignment);
    }

    /// <summary>Writes the text of <paramref name="value"/> as a JSON string (Serilog's <c>{$Name}</c>).</summary>
    public static void WriteAsJsonString<T>(Utf8EventWriter output, T value, string? format)
    {
        Span<char> buffer = stackalloc char[128];
        output.String(Format(value, format, buffer));
    }

    /// <summary>Writes <paramref name="text"/> escaped, with spaces before it (positive alignment) or after it (negative).</summary>
    public static void Pad(Utf8EventWriter output, ReadOnlySpan<char> text, int alignment)
    {
        var padding = Math.Abs(alignment) - text.Length;
        if (padding > 0 && alignment > 0)
        {
            Spaces(output, padding);
        }

        output.StringContent(text);
        if (padding > 0 && alignment < 0)
        {
            Spaces(output, padding);
        }
    }

    private static void Spaces(Utf8EventWriter output, int count)
    {
        for (var i = 0; i < count; i++)
        {
            output.Byte((byte)' ');
        }
    }

    private static ReadOnlySpan<char> Format<T>(T value, string? format, Span<char> buffer)
    {
        if (value is null)
        {
            return "null";
        }

        if (typeof(T) == typeof(string))
        {
            return (string)(object)value;
        }

        if (typeof(T).IsValueType && TryFormatValue(value, format, buffer, out var written))
        {
            return buffer[..written];
        }

        try
        {
            return value switch
            {
                string s => s,
                bool b => b ? "true" : "false",
                DateTime or DateTimeOffset or DateOnly or TimeOnly when string.IsNullOrEmpty(format) => ((IFormattable)value).ToString("O", Invariant),
                IFormattable formattable => formattable.ToString(format, Invariant),
                _ => value.ToString() ?? "",
            };
        }
        catch (Exception ex)
        {
            return FieldValue.Failed(ex);
        }
    }

    // For a value type the JIT compiles this per type and keeps one branch: no box, no interface call.
    private static bool TryFormatValue<T>(T value, string? format, Span<char> buffer, out int written)
    {
        if (typeof(T) == typeof(int)) { return ((int)(object)value!).TryFormat(buffer, out written, format, Invariant); }
        if (typeof(T) == typeof(long)) { return ((long)(object)value!).TryFormat(buffer, out written, format, Invariant); }
        if (typeof(T) == typeof(double)) { return ((double)(object)value!).TryFormat(buffer, out written, format, Invariant); }
        if (typeof(T) == typeof(float)) { return ((float)(object)value!).TryFormat(buffer, out written, format, Invariant); }
        if (typeof(T) == typeof(decimal)) { return ((decimal)(object)value!).TryFormat(buffer, out written, format, Invariant); }
        if (typeof(T) == typeof(uint)) { return ((uint)(object)value!).TryFormat(buffer, out written, format, Invariant); }
        if (typeof(T) == typeof(ulong)) { return ((ulong)(object)value!).TryFormat(buffer, out written, format, Invariant); }
        if (typeof(T) == typeof(short)) { return ((short)(object)value!).TryFormat(buffer, out written, format, Invariant); }
        if (typeof(T) == typeof(byte)) { return ((byte)(object)value!).TryFormat(buffer, out written, format, Invariant); }
        if (typeof(T) == typeof(Guid)) { return ((Guid)(object)value!).TryFormat(buffer, out written, format); }
        if (typeof(T) == typeof(TimeSpan)) { return ((TimeSpan)(object)value!).TryFormat(buffer, out written, format, Invariant); }
        if (typeof(T) == typeof(DateTime)) { return ((DateTime)(object)value!).TryFormat(buffer, out written, string.IsNullOrEmpty(format) ? "O" : format, Invariant); }
        if (typeof(T) == typeof(DateTimeOffset)) { return ((DateTimeOffset)(object)value!).TryFormat(buffer, out written, string.IsNullOrEmpty(format) ? "O" : format, Invariant); }
        if (typeof(T) == typeof(bool))
        {
            var text = (bool)(object)value! ? "true" : "false";
            written = text.Length;
            return text.TryCopyTo(buffer);
        }

        written = 0;
        return false;
    }
}
