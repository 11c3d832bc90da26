using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Oxbow.Daemon.Ingest;

namespace Oxbow.Daemon.Tests;

/// <summary>
/// The ingest fast path's JSON check must give exactly the answer of <c>Utf8JsonReader</c>: a yes where the reader
/// says no would store broken JSON. Each case is asked of both.
/// </summary>
public sealed class JsonSyntaxTests
{
    private static bool ReaderAccepts(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = JsonSyntax.MaxDepth });
            while (reader.Read())
            {
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [Theory]
    [InlineData("{}", true)]
    [InlineData(" {\"a\" : [1, -0.5e+3, true, false, null, \"x\\u00e9\\n\"]} ", true)]
    [InlineData("\"caf\u00e9 \U0001F600\"", true)]
    [InlineData("[]", true)]
    [InlineData("0", true)]
    [InlineData("", false)]
    [InlineData("{", false)]
    [InlineData("{\"a\":1,}", false)]
    [InlineData("[1,]", false)]
    [InlineData("01", false)]
    [InlineData("1.", false)]
    [InlineData(".5", false)]
    [InlineData("-", false)]
    [InlineData("1e", false)]
    [InlineData("tru", false)]
    [InlineData("truex", false)]
    [InlineData("{\"a\":1}x", false)]
    [InlineData("{\"a\":1}{}", false)]
    [InlineData("{\"a\" 1}", false)]
    [InlineData("{1:1}", false)]
    [InlineData("\"tab\there\"", false)]
    [InlineData("\"bad \\x escape\"", false)]
    [InlineData("\"short \\u12 escape\"", false)]
    [InlineData("[1 2]", false)]
    [InlineData("{\"a\":1]", false)]
    [InlineData("/* comment */ {}", false)]
    public void Known_documents_get_the_readers_answer(string text, bool valid)
    {
        var json = Encoding.UTF8.GetBytes(text);
        Assert.Equal(valid, ReaderAccepts(json));
        Assert.Equal(valid, JsonSyntax.IsValid(json));
    }

    [Fact]
    public void Nesting_is_allowed_to_64_levels_and_refused_beyond()
    {
        foreach (var depth in new[] { 63, 64, 65, 100 })
        {
            var json = Encoding.ASCII.GetBytes(new string('[', depth) + new string(']', depth));
            Assert.Equal(ReaderAccepts(json), JsonSyntax.IsValid(json));
            Assert.Equal(depth <= 64, JsonSyntax.IsValid(json));
        }
    }

    [Fact]
    public void Two_hundred_thousand_generated_and_mutated_documents_get_the_readers_answer()
    {
        var random = new Random(20261122);
        int valid = 0, invalid = 0;
        for (var n = 0; n < 200_000; n++)
        {
            var text = Generate(random, 0);
            var json = Mutate(random, Encoding.UTF8.GetBytes(text), n % 4 == 0 ? 0 : random.Next(1, 4));
            if (!Utf8.IsValid(json))
            {
                continue;
            }

            var expected = ReaderAccepts(json);
            Assert.True(expected == JsonSyntax.IsValid(json), $"reader says {expected} for: {Encoding.UTF8.GetString(json)}");
            _ = expected ? valid++ : invalid++;
        }

        // Both answers were exercised plenty.
        Assert.True(valid > 50_000 && invalid > 50_000, $"{valid} valid, {invalid} invalid");
    }

    [Fact]
    public void The_rest_of_an_object_gets_the_answer_the_reader_gives_for_the_whole_object()
    {
        var random = new Random(7);
        var head = "{\"id\":\"0123\""u8.ToArray();
        for (var n = 0; n < 100_000; n++)
        {
            var members = string.Join(",", Enumerable.Range(0, random.Next(0, 4)).Select(_ => Member(random, 1)));
            var rest = Mutate(random, Encoding.UTF8.GetBytes((members.Length > 0 ? "," + members : "") + "}"), n % 3 == 0 ? 0 : random.Next(1, 3));
            if (!Utf8.IsValid(rest))
            {
                continue;
            }

            var expected = ReaderAccepts([.. head, .. rest]);
            Assert.True(expected == JsonSyntax.IsValidObjectRest(rest), $"reader says {expected} for the rest: {Encoding.UTF8.GetString(rest)}");
        }
    }

    private static readonly string[] Strings = ["", "a", "caf\u00e9", "\U0001F600", "\\\"", "\\\\", "\\/", "\\n\\t\\r\\b\\f", "\\u00e9", "\\uD83D\\uDE00", "\\uDE00", "x y"];
    private static readonly string[] Numbers = ["0", "-0", "7", "-12", "3.25", "1e5", "1E-7", "-2.5e+10", "123456789012345678901234567890"];

    private static string Generate(Random random, int depth)
    {
        var choice = depth > 66 ? random.Next(3) : random.Next(depth < 2 ? 3 : 0, 8);
        return choice switch
        {
            0 => "\"" + Strings[random.Next(Strings.Length)] + "\"",
            1 => Numbers[random.Next(Numbers.Length)],
            2 => random.Next(3) switch { 0 => "true", 1 => "false", _ => "null" },
            3 or 4 => "{" + string.Join(",", Enumerable.Range(0, random.Next(0, 4)).Select(_ => Member(random, depth + 1))) + "}",
            5 or 6 => "[" + string.Join(", ", Enumerable.Range(0, random.Next(0, 4)).Select(_ => Generate(random, depth + 1))) + "]",
            _ => random.Next(10) == 0 ? new string('[', 60 + random.Next(10)) + new string(']', 60 + random.Next(10)) : " 1 ",
        };
    }

    private static string Member(Random random, int depth) =>
        "\"" + Strings[random.Next(Strings.Length)] + "\"" + (random.Next(4) == 0 ? " : " : ":") + Generate(random, depth);

    private static readonly byte[] Alphabet = "{}[]\",:0123456789-+.eEtrufalsn \\/u\t\r\nx\u0001"u8.ToArray();

    private static byte[] Mutate(Random random, byte[] json, int mutations)
    {
        var bytes = json.ToList();
        for (var m = 0; m < mutations; m++)
        {
            var at = random.Next(bytes.Count + 1);
            switch (random.Next(3))
            {
                case 0 when at < bytes.Count:
                    bytes.RemoveAt(at);
                    break;
                case 1 when at < bytes.Count:
                    bytes[at] = Alphabet[random.Next(Alphabet.Length)];
                    break;
                default:
                    bytes.Insert(at, Alphabet[random.Next(Alphabet.Length)]);
                    break;
            }
        }

        return [.. bytes];
    }
}
