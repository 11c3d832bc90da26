using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Oxbow.DuckDb;

namespace Oxbow.Query.Search;

/// <summary>
/// A value in a filter: text, a number, or true/false. <see cref="Literal"/> is its SQL form, made here and only here.
/// </summary>
/// <param name="Text">The text of a quoted value, or null.</param>
/// <param name="Number">The value of a number, or null.</param>
public sealed record FilterValue(string? Text, double? Number)
{
    /// <summary>The value of <c>true</c> or <c>false</c>, or null.</summary>
    public bool? Boolean { get; init; }

    /// <summary>The SQL literal: a quoted string (quotes doubled), a number as written when it is an integer, or TRUE/FALSE.</summary>
    public string Literal
    {
        get => field ?? (Text is not null ? Sql.Literal(Text) : Boolean == true ? "TRUE" : "FALSE");
        init;
    }
}

/// <summary>A parsed filter: to SQL for the store, or matched against one event's JSON for live tail.</summary>
public abstract record FilterNode
{
    /// <summary>The SQL condition; every name is quoted and every value a literal from <see cref="FilterValue.Literal"/>.</summary>
    public abstract string ToSql();

    /// <summary>Whether an event (its JSON, as stored) passes.</summary>
    public abstract bool Matches(JsonElement evt);

    private static string Column(string[] path) => string.Join('.', path.Select(Sql.Identifier));

    /// <summary>A field of an event: at the top level (the envelope), else in <c>body</c>, as the store's columns are.</summary>
    private static JsonElement? Find(JsonElement evt, string[] path)
    {
        return Walk(evt, path) ?? (path[0] == "body" ? null : evt.TryGetProperty("body", out var body) ? Walk(body, path) : null);

        static JsonElement? Walk(JsonElement at, string[] path)
        {
            foreach (var part in path)
            {
                if (at.ValueKind != JsonValueKind.Object || !TryGetIgnoringCase(at, part, out at))
                {
                    return null;
                }
            }

            return at.ValueKind == JsonValueKind.Null ? null : at;
        }
    }

    private static bool TryGetIgnoringCase(JsonElement obj, string name, out JsonElement value)
    {
        if (obj.TryGetProperty(name, out value))
        {
            return true;
        }

        foreach (var property in obj.EnumerateObject())
        {
            if (property.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        return false;
    }

    /// <summary>Compares a JSON value with a filter value: as numbers when both are numbers, else as text; null when they cannot be compared.</summary>
    private static int? CompareTo(JsonElement element, FilterValue value)
    {
        if (value.Boolean is { } b)
        {
            return element.ValueKind is JsonValueKind.True or JsonValueKind.False ? (element.ValueKind == JsonValueKind.True).CompareTo(b) : null;
        }

        if (value.Number is { } n)
        {
            var number = element.ValueKind == JsonValueKind.Number ? element.GetDouble()
                : element.ValueKind == JsonValueKind.String && double.TryParse(element.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed
                : (double?)null;
            return number?.CompareTo(n);
        }

        var text = element.ValueKind == JsonValueKind.String ? element.GetString()! : element.GetRawText();
        return string.CompareOrdinal(text, value.Text);
    }

    /// <summary>Every part holds.</summary>
    public sealed record All(IReadOnlyList<FilterNode> Parts) : FilterNode
    {
        /// <inheritdoc />
        public override string ToSql() => "(" + string.Join(" AND ", Parts.Select(p => p.ToSql())) + ")";

        /// <inheritdoc />
        public override bool Matches(JsonElement evt) => Parts.All(p => p.Matches(evt));
    }

    /// <summary>Some part holds.</summary>
    public sealed record Any(IReadOnlyList<FilterNode> Parts) : FilterNode
    {
        /// <inheritdoc />
        public override string ToSql() => "(" + string.Join(" OR ", Parts.Select(p => p.ToSql())) + ")";

        /// <inheritdoc />
        public override bool Matches(JsonElement evt) => Parts.Any(p => p.Matches(evt));
    }

    /// <summary>The part does not hold.</summary>
    public sealed record Not(FilterNode Part) : FilterNode
    {
        /// <inheritdoc />
        public override string ToSql() => "NOT (" + Part.ToSql() + ")";

        /// <inheritdoc />
        public override bool Matches(JsonElement evt) => !Part.Matches(evt);
    }

    /// <summary><c>field op value</c> with op one of <c>= &lt;&gt; &lt; &lt;= &gt; &gt;=</c>.</summary>
    public sealed record Compare(string[] Field, string Operator, FilterValue Value) : FilterNode
    {
        /// <inheritdoc />
        public override string ToSql() => $"{Column(Field)} {Operator} {Value.Literal}";

        /// <inheritdoc />
        public override bool Matches(JsonElement evt) =>
            Find(evt, Field) is { } element && CompareTo(element, Value) is { } order && Operator switch
            {
                "=" => order == 0,
                "<>" => order != 0,
                "<" => order < 0,
                "<=" => order <= 0,
                ">" => order > 0,
                _ => order >= 0,
            };
    }

    /// <summary><c>field [not] like|ilike 'pattern'</c>: <c>%</c> is any text, <c>_</c> one character.</summary>
    public sealed record Like(string[] Field, string Pattern, bool IgnoreCase, bool Negated) : FilterNode
    {
        private readonly Regex _regex = new(ToRegex(Pattern), RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | RegexOptions.Singleline | (IgnoreCase ? RegexOptions.IgnoreCase : 0));

        /// <inheritdoc />
        public override string ToSql() => $"{Column(Field)}{(Negated ? " NOT" : "")} {(IgnoreCase ? "ILIKE" : "LIKE")} {Sql.Literal(Pattern)}";

        /// <inheritdoc />
        public override bool Matches(JsonElement evt) =>
            Find(evt, Field) is { } element && _regex.IsMatch(element.ValueKind == JsonValueKind.String ? element.GetString()! : element.GetRawText()) != Negated;

        private static string ToRegex(string pattern)
        {
            var regex = new StringBuilder("^");
            foreach (var c in pattern)
            {
                regex.Append(c switch { '%' => ".*", '_' => ".", _ => Regex.Escape(c.ToString()) });
            }

            return regex.Append('$').ToString();
        }
    }

    /// <summary><c>field [not] in (values)</c>.</summary>
    public sealed record In(string[] Field, IReadOnlyList<FilterValue> Values, bool Negated) : FilterNode
    {
        /// <inheritdoc />
        public override string ToSql() => $"{Column(Field)}{(Negated ? " NOT" : "")} IN ({string.Join(", ", Values.Select(v => v.Literal))})";

        /// <inheritdoc />
        public override bool Matches(JsonElement evt) =>
            Find(evt, Field) is { } element && Values.Any(v => CompareTo(element, v) == 0) != Negated;
    }

    /// <summary><c>field is [not] null</c>; a field an event does not have is null.</summary>
    public sealed record IsNull(string[] Field, bool Negated) : FilterNode
    {
        /// <inheritdoc />
        public override string ToSql() => $"{Column(Field)} IS {(Negated ? "NOT " : "")}NULL";

        /// <inheritdoc />
        public override bool Matches(JsonElement evt) => Find(evt, Field) is null == !Negated;
    }
}
