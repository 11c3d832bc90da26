using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Oxbow.Daemon.Auth;
using Oxbow.Daemon.Forwarding;
using Oxbow.Daemon.Ingest;
using Oxbow.Daemon.Metrics;
using Oxbow.Daemon.Stats;
using Oxbow.Daemon.Tail;
using Oxbow.Transport;

namespace Oxbow.Daemon.Control;

/// <summary>Events over HTTP: reading a body within its limits, <c>POST /v1/events</c>, and how a refusal answers.</summary>
internal static partial class ControlApi
{
    /// <summary>The HTTP status that answers a refusal: 403 scopes, 429 full, 503 internal, 507 disk full, 413 too large, else 400.</summary>
    internal static int HttpStatus(RejectReason reason) => reason switch
    {
        RejectReason.Forbidden => 403,
        RejectReason.Busy => 429,
        RejectReason.Internal => 503,
        RejectReason.DiskFull => 507,
        RejectReason.FrameTooLarge => 413,
        _ => 400,
    };

    /// <summary>
    /// Reads a request body with a hard cap (<see cref="IngestPipeline.MaxBatchBytes"/>), so a body without
    /// Content-Length cannot grow past it either; what is held counts in the budget shared with the binary port's
    /// partly received frames. Refusals (413, 503) are counted and returned as the answer.
    /// </summary>
    internal static async Task<(PooledBody? Body, IResult? Refusal)> ReadBodyAsync(HttpContext http, IngestPipeline pipeline)
    {
        var limit = pipeline.MaxBatchBytes;
        if (http.Request.ContentLength > limit)
        {
            pipeline.Stats.Reject(RejectReason.FrameTooLarge);
            return (null, Problem(413, $"body of {http.Request.ContentLength} bytes is over the limit of {limit} bytes"));
        }

        // Read with a hard cap, so a body without Content-Length cannot grow past the limit either; what is held
        // counts in the budget shared with the binary port's partly received frames. The buffer is pooled: bodies
        // are large, and a fresh one per request would be garbage the size of every request.
        var limits = http.RequestServices.GetRequiredService<Connections.ConnectionLimits>();
        long held = 0;
        var array = ArrayPool<byte>.Shared.Rent((int)Math.Min(http.Request.ContentLength ?? 65536, limit) + 1);
        var length = 0;
        var handedOver = false;
        try
        {
            while (true)
            {
                if (length == array.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)array.Length * 2, limit + 1L));
                    array.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(array);
                    array = bigger;
                }

                var read = await http.Request.Body.ReadAsync(array.AsMemory(length), http.RequestAborted).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > limit)
                {
                    pipeline.Stats.Reject(RejectReason.FrameTooLarge);
                    return (null, Problem(413, $"body is over the limit of {limit} bytes"));
                }

                if (!limits.TryHold(ref held, length))
                {
                    pipeline.Stats.Reject(RejectReason.Busy);
                    http.Response.Headers.RetryAfter = "1";
                    return (null, Problem(503, "the collector holds as much partly received data as it may (partial-bytes-budget); retry later"));
                }
            }

            handedOver = true;
            return (new PooledBody(array, length), null);
        }
        finally
        {
            limits.TryHold(ref held, 0);
            if (!handedOver)
            {
                ArrayPool<byte>.Shared.Return(array);
            }
        }
    }

    private static async Task<IResult> IngestAsync(HttpContext http, IngestPipeline pipeline, AccessPolicy access)
    {
        var grant = Grant(http, access);
        if (grant is null)
        {
            pipeline.Stats.Reject(RejectReason.Unauthorized);
            return Unauthorized(access);
        }

        var (received, refusal) = await ReadBodyAsync(http, pipeline).ConfigureAwait(false);
        if (refusal is not null)
        {
            return refusal;
        }

        using var pooled = received!;

        var id = BatchId.New();
        if (http.Request.Headers.TryGetValue("Oxbow-Batch-Id", out var given))
        {
            // A client that retries a POST with the same id has it stored once, like a binary-protocol batch.
            var text = given.ToString();
            if (text.Length != 32 || !text.All(char.IsAsciiHexDigit))
            {
                return Problem(400, "Oxbow-Batch-Id must be 32 hex digits");
            }

            id = BatchId.Read(Convert.FromHexString(text));
        }

        try
        {
            var data = pooled.Memory;
            if (http.Request.Headers.ContentEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase))
            {
                data = pipeline.Gunzip(data.Span);
            }

            var (events, duplicate) = await pipeline.AcceptAsync(id, data, grant, deadLetter: false).ConfigureAwait(false);
            return Results.Text($"{{\"accepted\":{events},\"duplicate\":{(duplicate ? "true" : "false")}}}\n", "application/json");
        }
        catch (ProtocolException ex)
        {
            var statusCode = HttpStatus(ex.Reason);
            if (statusCode == 429)
            {
                http.Response.Headers.RetryAfter = "1";
            }

            return Problem(statusCode, ex.Message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A bug answers as one, with a reason, a log line and a count: never an empty 500.
            OxbowDaemonLog.Error("batch_failed", ex);
            pipeline.Stats.Reject(RejectReason.Internal);
            return Problem(500, $"the collector failed on this batch ({ex.GetType().Name}); it was not stored");
        }
    }
}

/// <summary>A request body in a buffer rented from the shared pool; disposing returns it (nothing may hold it after).</summary>
internal sealed class PooledBody(byte[] array, int length) : IDisposable
{
    private byte[]? _array = array;

    public ReadOnlyMemory<byte> Memory => (_array ?? throw new ObjectDisposedException(nameof(PooledBody))).AsMemory(0, length);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _array, null) is { } returned)
        {
            ArrayPool<byte>.Shared.Return(returned);
        }
    }
}
