using Oxbow.Testing;
using Oxbow.Tests.Support;

namespace Oxbow.Tests;

[Collection(Support.GlobalState.Name)]
public class ContextNamingTests : OxbowTestBase
{
    [Fact]
    public void A_relative_name_hangs_off_the_current_context_and_shares_its_id()
    {
        using var capture = OxCapture.Start();
        string id;
        using (var request = Ox.Context("request"))
        {
            id = request.Id;
            using var db = Ox.Context(".db");
            Assert.Equal("request.db", db.Type);
            Assert.Same(request, db.Parent);
        }

        Assert.Equal(["request.db", "request"], capture.Events.Select(e => e.Type));
        Assert.All(capture.Events, e => Assert.Equal(id, e.Id));
    }

    [Fact]
    public void A_caret_name_hangs_off_the_outermost_open_context()
    {
        using var capture = OxCapture.Start();
        using var request = Ox.Context("request");
        using var api = Ox.Context(".api");
        using var cache = Ox.Context("^.cache");
        Assert.Equal("request.cache", cache.Type);
        Assert.Same(request, cache.Parent);
        Assert.Equal(request.Id, cache.Id);
    }

    [Fact]
    public void An_absolute_name_attaches_to_the_open_context_sharing_the_longest_prefix()
    {
        using var capture = OxCapture.Start();
        using var request = Ox.Context("request");
        using var api = Ox.Context(".api");
        using var billing = Ox.Context("billing");
        Assert.Null(billing.Parent);
        Assert.NotEqual(request.Id, billing.Id);

        // billing is innermost, but request.api shares two segments with request.api.db.
        using var db = Ox.Context("request.api.db");
        Assert.Same(api, db.Parent);
        Assert.Equal(request.Id, db.Id);
    }

    [Fact]
    public void An_absolute_name_picks_the_innermost_context_on_a_tie()
    {
        using var capture = OxCapture.Start();
        using var request = Ox.Context("request");
        using var api = Ox.Context(".api");
        using var cache = Ox.Context("request.cache");
        Assert.Same(api, cache.Parent);
    }

    [Fact]
    public void An_absolute_name_sharing_nothing_gets_a_new_id()
    {
        using var capture = OxCapture.Start();
        using var request = Ox.Context("request");
        using var job = Ox.Context("job.step");
        Assert.Null(job.Parent);
        Assert.NotEqual(request.Id, job.Id);
        Assert.True(OxId.IsValid(job.Id));
    }

    [Theory]
    [InlineData("..x", "'..' is not a name")]
    [InlineData("^x", "'^' must be followed by '.'")]
    [InlineData(".Bad", "'B' is not allowed")]
    [InlineData("../etc", "'..' is not a name")]
    public void Invalid_names_are_rejected(string name, string message)
    {
        using var capture = OxCapture.Start();
        using var request = Ox.Context("request");
        var error = Assert.Throws<ArgumentException>(() => Ox.Context(name));
        Assert.Contains(message, error.Message);
        Assert.Same(request, Ox.Current);
    }

    [Fact]
    public void Relative_names_with_no_open_context_are_top_level()
    {
        using var capture = OxCapture.Start();
        using (var db = Ox.Context(".db"))
        {
            Assert.Equal("db", db.Type);
        }

        using (var cache = Ox.Context("^.cache"))
        {
            Assert.Equal("cache", cache.Type);
        }
    }

    [Fact]
    public void An_explicit_id_is_used_as_given_and_a_malformed_one_is_rejected()
    {
        using var capture = OxCapture.Start();
        const string id = "00000000000000000000000000000abc";
        using (Ox.Context("request", id: id))
        {
        }

        Assert.Equal(id, capture.Single("request").Id);
        Assert.Contains("32 lowercase hex", Assert.Throws<ArgumentException>(() => Ox.Context("request", id: "ABC")).Message);
    }

    [Fact]
    public void Children_are_emitted_before_their_parent()
    {
        using var capture = OxCapture.Start();
        using (Ox.Context("request"))
        {
            using (Ox.Context(".db"))
            {
                using (Ox.Context(".pool"))
                {
                }
            }

            using (Ox.Context(".cache"))
            {
            }
        }

        Assert.Equal(["request.db.pool", "request.db", "request.cache", "request"], capture.Events.Select(e => e.Type));
    }
}
