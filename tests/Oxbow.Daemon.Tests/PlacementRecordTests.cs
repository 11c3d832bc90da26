using System.Buffers.Binary;
using System.Text;
using Oxbow.Store;

namespace Oxbow.Daemon.Tests;

public sealed class PlacementRecordTests
{
    [Fact]
    public void A_record_reads_back_as_the_regions_it_was_written_from()
    {
        PlacedRegion[] regions =
        [
            new("type=request/day=2026-12-05/hour=09/c1-0000000001.ndjson", 4096, 512, 0xDEADBEEF),
            new("type=request.db/day=2026-12-05/hour=09/c1-0000000002.ndjson", 77, 77, 42),
        ];
        Assert.Equal(regions, PlacementRecord.Read(PlacementRecord.Write(regions)));
    }

    [Fact]
    public void A_record_from_before_checksums_reads_with_no_length_and_a_torn_entry_ends_the_list()
    {
        var path = Encoding.UTF8.GetBytes("type=a/day=2026-12-05/hour=09/c1-0000000001.ndjson");
        var old = new byte[2 + path.Length + 8];
        BinaryPrimitives.WriteUInt16LittleEndian(old, (ushort)path.Length);
        path.CopyTo(old, 2);
        BinaryPrimitives.WriteInt64LittleEndian(old.AsSpan(2 + path.Length), 99);
        Assert.Equal([new PlacedRegion(Encoding.UTF8.GetString(path), 99, null, 0)], PlacementRecord.Read(old));
        Assert.Equal([new PlacedRegion(Encoding.UTF8.GetString(path), 99, null, 0)], PlacementRecord.Read([.. old, .. old.AsSpan(0, 5)]));
    }
}
