using Oxbow.Daemon.Spool.Format;
using Oxbow.Store.Files;

namespace Oxbow.Daemon.Spool;

/// <summary>Reads one record from a segment file and checks it.</summary>
internal static class SpoolRecordReader
{
    /// <summary>
    /// Reads the record at <paramref name="offset"/> of a segment whose written part ends at <paramref name="limit"/>:
    /// its head and payload when <see cref="RecordStatus.Valid"/>.
    /// </summary>
    public static RecordStatus Read(IDurableFile file, long offset, long limit, out byte[] head, out byte[] payload)
    {
        head = new byte[SpoolRecordFormat.HeadLength];
        payload = [];
        var available = limit - offset;
        var read = available >= head.Length ? file.Read(head, offset) : 0;
        var status = SpoolRecordFormat.DecodeHead(head.AsSpan(0, read), available, out var payloadLength);
        if (status != RecordStatus.Valid)
        {
            return status;
        }

        payload = new byte[payloadLength];
        if (ReadFully(file, payload, offset + SpoolRecordFormat.HeadLength) < payload.Length)
        {
            return RecordStatus.Torn;
        }

        return SpoolRecordFormat.Verify(head, payload);
    }

    private static int ReadFully(IDurableFile file, Span<byte> into, long offset)
    {
        var total = 0;
        while (total < into.Length)
        {
            var n = file.Read(into[total..], offset + total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }
}
