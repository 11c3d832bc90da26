using System.IO.Compression;
using System.Text;
using Oxbow.Daemon.Auth;
using Oxbow.Daemon.Schemas;
using Oxbow.Daemon.Spool;
using Oxbow.Daemon.Stats;
using Oxbow.Daemon.Tail;
using Oxbow.Store.Events;
using Oxbow.Transport;

namespace Oxbow.Daemon.Ingest;

/// <summary>
/// The one path every accepted batch takes, from TCP or HTTP: validate and normalize, check the token's scopes,
/// append to the spool (durable), then count it and show it to live tails. Refusals are counted by reason.
/// </summary>
internal sealed class IngestPipeline(SpoolLog spool, DaemonStats stats, TailHub tail, int maxEventBytes, int maxBatchBytes, TimeProvider time, SchemaRegistry schemas, AcceptedWindow window)
{
    public DaemonStats Stats => stats;

    public int MaxBatchBytes => maxBatchBytes;

    /// <summary>Accepts a batch; true when it was already stored by an earlier try.</summary>
    /// <param name="id">The batch id, for recognising retries.</param>
    /// <param name="data">NDJSON.</param>
    /// <param name="grant">What the sender may write.</param>
    /// <param name="deadLetter">
    /// What an event that fails its stream's schema does: true sends it to the dead-letter stream (senders that cannot
    /// fix it: agents, syslog); false refuses the batch naming the field (HTTP answers 400).
    /// </param>
    /// <param name="declaredEvents">
    /// The event count the binary protocol's BATCH header declares, or null (HTTP has none). A batch whose lines do not
    /// match it is refused whole as malformed: the count is the sender's own check that it framed what it meant to.
    /// </param>
    /// <exception cref="ProtocolException">Refused; the reason is already counted.</exception>
    public async Task<(int Events, bool Duplicate)> AcceptAsync(BatchId id, ReadOnlyMemory<byte> data, TokenGrant grant, bool deadLetter = true, int? declaredEvents = null)
    {
        try
        {
            var arrival = time.GetUtcNow().UtcDateTime;
            var events = EventLines.Validate(data, arrival, maxEventBytes);
            if (declaredEvents is { } declared && declared != events.Count)
            {
                throw new ProtocolException(RejectReason.MalformedFrame, $"BATCH {id} declares {declared} events but holds {events.Count}") { Batch = id };
            }

            if (events.KeysRepaired > 0)
            {
                stats.Count(DaemonCounters.KeysRepaired, events.KeysRepaired);
            }

            try
            {
                window.Check(events.Data.Span, arrival);
            }
            catch (ProtocolException)
            {
                stats.Count(DaemonCounters.OutsideWindow);
                throw;
            }

            CheckScopes(events.Data, grant);
            ReadOnlyMemory<byte> checkedData;
            int invalid;
            try
            {
                checkedData = schemas.Apply(events.Data, deadLetter, out invalid);
            }
            catch (ProtocolException)
            {
                stats.Count(DaemonCounters.SchemaInvalid);
                throw;
            }

            events = events with { Data = checkedData };
            var result = await spool.AppendAsync(id, events.Count, events.Data).ConfigureAwait(false);
            if (invalid > 0 && result == AppendResult.Durable)
            {
                stats.Count(DaemonCounters.SchemaInvalid, invalid);
            }

            switch (result)
            {
                case AppendResult.Durable:
                    stats.Accepted(events.Data, arrival);
                    tail.Publish(events.Data);
                    return (events.Count, false);
                case AppendResult.Duplicate:
                    return (events.Count, true);
                case AppendResult.Full:
                    throw new ProtocolException(RejectReason.Busy, "the spool is full; retry later");
                case AppendResult.DiskFull:
                    throw new ProtocolException(RejectReason.DiskFull, "the collector's disk is full; the batch was not stored; retry later");
                default:
                    throw new ProtocolException(RejectReason.Internal, "the batch could not be made durable; retry later");
            }
        }
        catch (ProtocolException ex)
        {
            stats.Reject(ex.Reason);
            throw;
        }
    }

    /// <summary>Inflates gzip data, refusing more than <see cref="MaxBatchBytes"/>.</summary>
    /// <exception cref="ProtocolException">Not gzip, or too large once inflated.</exception>
    public byte[] Gunzip(ReadOnlySpan<byte> compressed)
    {
        try
        {
            using var input = new MemoryStream(compressed.ToArray());
            using var gzip = new GZipStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream();
            var buffer = new byte[81920];
            int read;
            while ((read = gzip.Read(buffer)) > 0)
            {
                output.Write(buffer, 0, read);
                if (output.Length > maxBatchBytes)
                {
                    throw new ProtocolException(RejectReason.FrameTooLarge, $"batch is over {maxBatchBytes} bytes once decompressed");
                }
            }

            var inflated = output.ToArray();
            CheckTrailer(compressed, inflated);
            return inflated;
        }
        catch (InvalidDataException ex)
        {
            stats.Reject(RejectReason.BadCompression);
            throw new ProtocolException(RejectReason.BadCompression, "not valid gzip: " + ex.Message);
        }
        catch (ProtocolException ex)
        {
            stats.Reject(ex.Reason);
            throw;
        }
    }

    /// <summary>
    /// GZipStream ends quietly when its input stops after a flushed block, so a stream cut short (no final block, no
    /// trailer) would inflate to fewer events and be acknowledged. The last member's trailer (CRC-32 and length of
    /// what it inflated to, RFC 1952) must match the end of the output.
    /// </summary>
    private static void CheckTrailer(ReadOnlySpan<byte> compressed, ReadOnlySpan<byte> inflated)
    {
        if (compressed.Length < 18)
        {
            throw new InvalidDataException("the stream is too short to hold a gzip header and trailer");
        }

        var crc = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(compressed[^8..]);
        var size = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(compressed[^4..]);
        if (size > inflated.Length || System.IO.Hashing.Crc32.HashToUInt32(inflated[^(int)size..]) != crc)
        {
            throw new InvalidDataException("the stream is truncated or damaged: its trailer does not match the data (CRC-32 and length)");
        }
    }

    private static void CheckScopes(ReadOnlyMemory<byte> data, TokenGrant grant)
    {
        if (grant.Admin)
        {
            return;
        }

        var lineNumber = 0;
        Span<char> type = stackalloc char[Oxbow.EventType.MaxLength];
        foreach (var line in new Sinks.EventBatch(data, 0))
        {
            lineNumber++;
            if (CanonicalLine.TryParse(line, out var canonical))
            {
                var n = Encoding.ASCII.GetChars(canonical.Type, type);
                if (!grant.Allows(type[..n]))
                {
                    throw new ProtocolException(RejectReason.Forbidden,
                        $"line {lineNumber}: this token may send only {string.Join(", ", grant.Scopes)}, not type '{type[..n]}'");
                }
            }
        }
    }
}
