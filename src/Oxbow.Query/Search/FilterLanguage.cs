using System.Globalization;
using System.Text;
using Oxbow.DuckDb;

namespace Oxbow.Query.Search;

/// <summary>
/// The console's field filter: a small expression language that Oxbow parses itself and turns into a SQL condition,
/// so text a person types never reaches DuckDB as SQL. Grammar (keywords in any case):
/// <code>
/// expr       := and ("or" and)*
/// and        := unary ("and" unary)*
/// unary      := "not" unary | "(" expr ")" | comparison
/// comparison := field ("=" | "!=" | "&lt;&gt;" | "&lt;" | "&lt;=" | "&gt;" | "&gt;=") value
///             | field ["not"] ("like" | "ilike") string
///             | field ["not"] "in" "(" value ("," value)* ")"
///             | field "is" ["not"] "null"
/// field      := name ("." name)*          a column, or a nested field of one (response.status)
/// value      := 'text' | "text" | number | true | false
/// </code>
/// A field must be one of the columns named by the caller. Values become typed SQL literals through one function
/// (<see cref="Sql.Literal"/>), never spliced text: a quote inside a value is doubled, so a value cannot end its
/// literal. Literals rather than bound parameters keep the condition readable by the store's narrowing, which
/// leaves out files by the literal values of <c>trace_id</c>, <c>id</c>, <c>type</c> and <c>day</c>.
/// </summary>
public static class FilterLanguage
{
    /// <summary>The deepest nesting of parentheses and <c>not</c> accepted: a bound, so no input can exhaust the stack.</summary>
    public const int MaxDepth = 32;

    /// <summary>The longest filter accepted, in characters.</summary>
    public const int MaxLength = 4096;

    /// <summary>
    /// The SQL condition for <paramref name="filter"/>, or null when it is empty. <paramref name="columns"/> are the
    /// columns a field may name (compared without case, as DuckDB does).
    /// </summary>
    /// <exception cref="FilterSyntaxException">The text is not a filter: the message says what was expected, at which position (1-based).</exception>
    public static string? ToSql(string? filter, IReadOnlySet<string> columns) => Parse(filter, columns)?.ToSql();

    /// <summary>
    /// Parses <paramref name="filter"/> (null when empty). With <paramref name="columns"/>, a field must name one of
    /// them; without, any name is a field (live events are matched as JSON, where a bare name is looked up at the top
    /// level, then in <c>body</c>).
    /// </summary>
    /// <exception cref="FilterSyntaxException">The text is not a filter: the message says what was expected, at which position (1-based).</exception>
    public static FilterNode? Parse(string? filter, IReadOnlySet<string>? columns = null)
    {
        if (string.IsNullOrWhiteSpace(filter))
        {
            return null;
        }

        if (filter.Length > MaxLength)
        {
            throw new FilterSyntaxException($"the filter is longer than {MaxLength} characters", MaxLength + 1);
        }

        var parser = new Parser(Lexer.Tokens(filter), columns, filter.Length);
        var node = parser.Expression(0);
        parser.ExpectEnd();
        return node;
    }

    private enum Kind { Name, Text, Number, Symbol, End }

    private readonly record struct Token(Kind Kind, string Text, int Position)
    {
        public bool Is(string keyword) => Kind == Kind.Name && Text.Equals(keyword, StringComparison.OrdinalIgnoreCase);

        public bool IsSymbol(string symbol) => Kind == Kind.Symbol && Text == symbol;

        public string Describe() => Kind switch
        {
            Kind.End => "the end",
            Kind.Text => "a quoted value",
            _ => $"'{Text}'",
        };
    }

    private static class Lexer
    {
        public static List<Token> Tokens(string text)
        {
            List<Token> tokens = [];
            var i = 0;
            while (i < text.Length)
            {
                var c = text[i];
                var at = i + 1;
                if (char.IsWhiteSpace(c))
                {
                    i++;
                }
                else if (char.IsAsciiLetter(c) || c == '_')
                {
                    var start = i;
                    while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '_' or '.'))
                    {
                        i++;
                    }

                    tokens.Add(new Token(Kind.Name, text[start..i], at));
                }
                else if (char.IsAsciiDigit(c) || (c is '-' or '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
                {
                    var start = i++;
                    while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '.' || (text[i] is '-' or '+' && text[i - 1] is 'e' or 'E')))
                    {
                        i++;
                    }

                    var number = text[start..i];
                    if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
                    {
                        throw new FilterSyntaxException($"'{number}' is not a number", at);
                    }

                    tokens.Add(new Token(Kind.Number, number, at));
                }
                else if (c is '\'' or '"')
                {
                    var value = new StringBuilder();
                    i++;
                    while (true)
                    {
                        if (i >= text.Length)
                        {
                            throw new FilterSyntaxException("a quoted value is not closed", at);
                        }

                        if (text[i] == c)
                        {
                            if (i + 1 < text.Length && text[i + 1] == c)
                            {
                                value.Append(c); // a doubled quote is one quote, as in SQL
                                i += 2;
                                continue;
                            }

                            i++;
                            break;
                        }

                        value.Append(text[i++]);
                    }

                    tokens.Add(new Token(Kind.Text, value.ToString(), at));
                }
                else
                {
                    var two = i + 1 < text.Length ? text.Substring(i, 2) : "";
                    var symbol = two is "!=" or "<>" or "<=" or ">=" or "==" ? two : c is '=' or '<' or '>' or '(' or ')' or ',' ? c.ToString() : null;
                    if (symbol is null)
                    {
                        throw new FilterSyntaxException($"unexpected character '{c}'", at);
                    }

                    tokens.Add(new Token(Kind.Symbol, symbol, at));
                    i += symbol.Length;
                }
            }

            tokens.Add(new Token(Kind.End, "", text.Length + 1));
            return tokens;
        }
    }

    private sealed class Parser(List<Token> tokens, IReadOnlySet<string>? columns, int length)
    {
        private int _next;

        private Token Peek => tokens[_next];

        private Token Take() => tokens[_next++];

        public void ExpectEnd()
        {
            if (Peek.Kind != Kind.End)
            {
                throw new FilterSyntaxException($"expected 'and', 'or' or the end, found {Peek.Describe()}", Peek.Position);
            }
        }

        public FilterNode Expression(int depth)
        {
            var parts = new List<FilterNode> { And(depth) };
            while (Peek.Is("or"))
            {
                Take();
                parts.Add(And(depth));
            }

            return parts.Count == 1 ? parts[0] : new FilterNode.Any(parts);
        }

        private FilterNode And(int depth)
        {
            var parts = new List<FilterNode> { Unary(depth) };
            while (Peek.Is("and"))
            {
                Take();
                parts.Add(Unary(depth));
            }

            return parts.Count == 1 ? parts[0] : new FilterNode.All(parts);
        }

        private FilterNode Unary(int depth)
        {
            if (depth >= MaxDepth)
            {
                throw new FilterSyntaxException($"the filter nests deeper than {MaxDepth}", Peek.Position);
            }

            if (Peek.Is("not"))
            {
                Take();
                return new FilterNode.Not(Unary(depth + 1));
            }

            if (Peek.IsSymbol("("))
            {
                Take();
                var inner = Expression(depth + 1);
                Expect(")");
                return inner;
            }

            return Comparison();
        }

        private FilterNode Comparison()
        {
            var field = Field();
            var op = Take();
            if (op.Kind == Kind.Symbol && op.Text is "=" or "==" or "!=" or "<>" or "<" or "<=" or ">" or ">=")
            {
                return new FilterNode.Compare(field, op.Text switch { "==" => "=", "!=" => "<>", _ => op.Text }, Value());
            }

            var negated = op.Is("not");
            if (negated)
            {
                op = Take();
            }

            if (op.Is("like") || op.Is("ilike"))
            {
                var pattern = Take();
                return pattern.Kind == Kind.Text
                    ? new FilterNode.Like(field, pattern.Text, op.Is("ilike"), negated)
                    : throw new FilterSyntaxException($"'{op.Text}' needs a quoted pattern, found {pattern.Describe()}", pattern.Position);
            }

            if (op.Is("in"))
            {
                Expect("(");
                var values = new List<FilterValue> { Value() };
                while (Peek.IsSymbol(","))
                {
                    Take();
                    values.Add(Value());
                }

                Expect(")");
                return new FilterNode.In(field, values, negated);
            }

            if (op.Is("is") && !negated)
            {
                var not = Peek.Is("not");
                if (not)
                {
                    Take();
                }

                var word = Take();
                return word.Is("null")
                    ? new FilterNode.IsNull(field, not)
                    : throw new FilterSyntaxException($"expected 'null' after 'is', found {word.Describe()}", word.Position);
            }

            throw new FilterSyntaxException($"expected a comparison (=, !=, <, <=, >, >=, like, in, is null) after the field, found {op.Describe()}", op.Position);
        }

        private string[] Field()
        {
            var name = Take();
            if (name.Kind != Kind.Name || name.Is("and") || name.Is("or") || name.Is("not"))
            {
                throw new FilterSyntaxException($"expected a field name, found {name.Describe()}", name.Position);
            }

            var path = name.Text.Split('.');
            if (path.Any(p => p.Length == 0))
            {
                throw new FilterSyntaxException($"'{name.Text}' is not a field name", name.Position);
            }

            if (columns is not null && !columns.Contains(path[0]))
            {
                throw new FilterSyntaxException($"unknown field '{path[0]}'", name.Position);
            }

            return path;
        }

        private FilterValue Value()
        {
            var token = Take();
            return token.Kind switch
            {
                Kind.Text => new FilterValue(token.Text, null),
                // The lexer let through only text that parses as a finite number ([0-9.eE+-]).
                Kind.Number => new FilterValue(null, double.Parse(token.Text, NumberStyles.Float, CultureInfo.InvariantCulture))
                {
                    Literal = long.TryParse(token.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
                        ? token.Text
                        : double.Parse(token.Text, NumberStyles.Float, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture),
                },
                Kind.Name when token.Is("true") => new FilterValue(null, null) { Boolean = true },
                Kind.Name when token.Is("false") => new FilterValue(null, null) { Boolean = false },
                _ => throw new FilterSyntaxException($"expected a value ('text', a number, true or false), found {token.Describe()}", token.Position),
            };
        }

        private void Expect(string symbol)
        {
            var token = Take();
            if (!token.IsSymbol(symbol))
            {
                throw new FilterSyntaxException($"expected '{symbol}', found {token.Describe()}", Math.Min(token.Position, length + 1));
            }
        }
    }
}

/// <summary>A filter that does not parse: <see cref="Exception.Message"/> says what and <see cref="Position"/> where.</summary>
public sealed class FilterSyntaxException(string problem, int position)
    : FormatException($"{problem} at position {position.ToString(CultureInfo.InvariantCulture)}")
{
    /// <summary>The 1-based position in the filter text where the problem is.</summary>
    public int Position { get; } = position;
}
