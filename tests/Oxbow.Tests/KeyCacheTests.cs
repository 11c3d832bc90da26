using Oxbow.Codec;

namespace Oxbow.Tests;

public class KeyCacheTests
{
    [Fact]
    public void A_literal_key_is_found_again_as_the_same_entry()
    {
        var keys = new KeyCache(RedactionPolicy.Default);
        var first = keys.Get("order_id");
        Assert.Same(first, keys.Get("order_id"));
        Assert.Same(first, keys.At(first.Index));
    }

    [Fact]
    public void Keys_built_at_run_time_keep_their_index_when_the_collector_moves_them()
    {
        // The identity table slots a key by its address; a compacting collection moves heap strings, so every lookup
        // after it must still land on the same entry by value (same index, same JSON name).
        var keys = new KeyCache(RedactionPolicy.Default);
        var built = Enumerable.Range(0, 200).Select(i => string.Concat("field_", i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();
        var before = built.Select(k => keys.Get(k)).ToArray();
        for (var round = 0; round < 3; round++)
        {
            // Garbage between the keys, so that compaction has something to close up and the keys really move.
            _ = Enumerable.Range(0, 10_000).Select(i => new byte[64]).ToList();
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            for (var i = 0; i < built.Length; i++)
            {
                var after = keys.Get(built[i]);
                Assert.Equal(before[i].Index, after.Index);
                Assert.Equal(before[i].SeparatedName, after.SeparatedName);
                Assert.Same(built[i], after.Key);
                Assert.Equal(before[i].Index, keys.Get(built[i]).Index);
            }
        }
    }

    [Fact]
    public void Two_strings_with_equal_text_share_one_index()
    {
        var keys = new KeyCache(RedactionPolicy.Default);
        var a = keys.Get(new string("tenant".AsSpan()));
        var b = keys.Get(new string("tenant".AsSpan()));
        Assert.Equal(a.Index, b.Index);
        Assert.Equal(",\"tenant\":"u8.ToArray(), b.SeparatedName);
    }
}
