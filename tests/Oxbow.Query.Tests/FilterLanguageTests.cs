using System.Text.Json;
using Oxbow.Query.Search;

namespace Oxbow.Query.Tests;

public sealed class FilterLanguageTests
{
    private static readonly HashSet<string> Columns = new(["status", "path", "user", "level", "response", "duration", "ok"], StringComparer.OrdinalIgnoreCase);

    [Theory]
    [InlineData("status >= 500 and path like '/api/%' and user = 'ann'", "(\"status\" >= 500 AND \"path\" LIKE '/api/%' AND \"user\" = 'ann')")]
    [InlineData("level = \"error\" or not (status < 400)", "(\"level\" = 'error' OR NOT (\"status\" < 400))")]
    [InlineData("response.status != 200", "\"response\".\"status\" <> 200")]
    [InlineData("status in (500, 503) and user not in ('a')", "(\"status\" IN (500, 503) AND \"user\" NOT IN ('a'))")]
    [InlineData("user is not null and path IS NULL", "(\"user\" IS NOT NULL AND \"path\" IS NULL)")]
    [InlineData("duration > 1.5e3 and ok = true", "(\"duration\" > 1500 AND \"ok\" = TRUE)")]
    [InlineData("path not ilike '%Health%'", "\"path\" NOT ILIKE '%Health%'")]
    [InlineData("STATUS = -1", "\"STATUS\" = -1")]
    public void A_filter_becomes_a_condition_with_quoted_names_and_literal_values(string filter, string sql) =>
        Assert.Equal(sql, FilterLanguage.ToSql(filter, Columns));

    [Fact]
    public void A_quote_in_a_value_is_doubled_so_the_value_cannot_end_its_literal() =>
        Assert.Equal("\"user\" = 'x'' or ''1''=''1'", FilterLanguage.ToSql("user = 'x'' or ''1''=''1'", Columns));

    [Theory]
    [InlineData("status >=", "expected a value ('text', a number, true or false), found the end at position 10")]
    [InlineData("user = 'ann'; DROP VIEW request", "unexpected character ';' at position 13")]
    [InlineData("nope = 1", "unknown field 'nope' at position 1")]
    [InlineData("status = 1 status = 2", "expected 'and', 'or' or the end, found 'status' at position 12")]
    [InlineData("(status = 1", "expected ')', found the end at position 12")]
    [InlineData("user = 'open", "a quoted value is not closed at position 8")]
    [InlineData("path like 5", "'like' needs a quoted pattern, found '5' at position 11")]
    [InlineData("status = 1e999", "'1e999' is not a number at position 10")]
    [InlineData("status ~ 1", "unexpected character '~' at position 8")]
    public void A_filter_that_does_not_parse_says_what_and_where(string filter, string message) =>
        Assert.Equal(message, Assert.Throws<FilterSyntaxException>(() => FilterLanguage.ToSql(filter, Columns)).Message);

    [Fact]
    public void Nesting_beyond_the_bound_is_refused_rather_than_exhausting_the_stack()
    {
        var deep = string.Concat(Enumerable.Repeat("not ", 500)) + "status = 1";
        Assert.Contains("nests deeper than 32", Assert.Throws<FilterSyntaxException>(() => FilterLanguage.ToSql(deep, Columns)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("status >= 500 and path like '/api/%'", true)]
    [InlineData("status >= 500 and path like '/web/%'", false)]
    [InlineData("level = 'error'", true)]
    [InlineData("response.code in (7, 8)", true)]
    [InlineData("user is null", true)]
    [InlineData("not (status = 503)", false)]
    [InlineData("path ilike '/API/PAY'", true)]
    [InlineData("ok = true", true)]
    public void A_filter_matches_a_live_event_as_the_store_would_its_columns(string filter, bool matches)
    {
        using var evt = JsonDocument.Parse("""{"type":"request","level":"error","body":{"status":503,"path":"/api/pay","ok":true,"response":{"code":7}}}""");
        Assert.Equal(matches, FilterLanguage.Parse(filter)!.Matches(evt.RootElement));
    }
}
