using Oxbow.Daemon.Auth;
using Oxbow.Daemon.Ingest;
using Oxbow.Receivers.Events;
using Oxbow.Receivers.Otlp;
using Oxbow.Receivers.Seq;
using Oxbow.Transport;

namespace Oxbow.Daemon.Receivers;

/// <summary>What a received request came to: stored (with any records refused alone), or refused whole with why.</summary>
/// <param name="Status">HTTP status: 200, or 400/401/403/413/415/429/503/507.</param>
/// <param name="Rejected">Records refused alone (OTLP's partial success, Seq's bad lines).</param>
/// <param name="Message">Why, for the partial success or the error.</param>
/// <param name="Retryable">Whether the client should retry (429/503), after <c>Retry-After</c>.</param>
internal readonly record struct ReceiverOutcome(int Status, long Rejected, string? Message, bool Retryable);

/// <summary>
/// The receivers' way into the ingest pipeline: the same path as native batches, so an export is answered only once durable,
/// token scopes and schemas apply (an event failing its schema goes to the dead letters: an OTLP or Seq sender
/// cannot fix it), refusals are counted, and live tails see what arrives.
/// </summary>
internal sealed class ReceiverIntake(IngestPipeline pipeline, AccessPolicy access, OtlpMapping mapping, ClefMapping clef)
{
    public OtlpMapping Mapping => mapping;

    public ClefMapping Clef => clef;

    public AccessPolicy Access => access;

    public IngestPipeline Pipeline => pipeline;

    /// <summary>Stores a request's events, then returns their buffer to the pool (the pipeline holds nothing after).</summary>
    public async Task<ReceiverOutcome> AcceptAsync(ReceivedEvents events, TokenGrant grant)
    {
        using var _ = events;
        if (events.Events == 0)
        {
            return new ReceiverOutcome(200, events.Rejected, events.RejectedReason, false);
        }

        try
        {
            await pipeline.AcceptAsync(BatchId.New(), events.Lines, grant, deadLetter: true).ConfigureAwait(false);
            return new ReceiverOutcome(200, events.Rejected, events.RejectedReason, false);
        }
        catch (ProtocolException ex)
        {
            var status = Control.ControlApi.HttpStatus(ex.Reason);
            return new ReceiverOutcome(status, events.Events + events.Rejected, ex.Message, status is 429 or 503);
        }
    }
}
