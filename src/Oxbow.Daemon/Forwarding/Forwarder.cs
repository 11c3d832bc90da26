using Oxbow.Daemon.Spool;
using Oxbow.Transport;

namespace Oxbow.Daemon.Forwarding;

/// <summary>
/// The agent's delivery loop: reads the spool in order and sends each record upstream with its original batch id,
/// so a record resent after a restart or a lost acknowledgement is stored once. The spool position is committed as
/// acknowledgements arrive in order; the <see cref="BatchSender"/> does failover and retries.
/// </summary>
internal sealed class Forwarder(SpoolLog spool, BatchSender sender)
{
    private const int MaxOutstanding = 64;
    private long _forwardedEvents;
    private long _forwardedBatches;
    private long _rejectedEvents;

    /// <summary>The upstream connection's state.</summary>
    public SenderStatus Upstream => sender.Status;

    /// <summary>Events acknowledged upstream.</summary>
    public long ForwardedEvents => Interlocked.Read(ref _forwardedEvents);

    /// <summary>Batches acknowledged upstream.</summary>
    public long ForwardedBatches => Interlocked.Read(ref _forwardedBatches);

    /// <summary>Events the upstream refused for good (counted and skipped, so one bad batch cannot block the rest).</summary>
    public long RejectedEvents => Interlocked.Read(ref _rejectedEvents);

    /// <summary>Points the agent at other upstreams.</summary>
    public void Reroute(IReadOnlyList<string> endpoints) => sender.Reroute(endpoints);

    /// <summary>Delivers until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var position = spool.CommittedPosition;
        var outstanding = new Queue<(SpoolRecord Record, Task<SendOutcome> Outcome)>();
        long records = 0, events = 0;
        var committed = position;
        var lastCommit = Environment.TickCount64;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                while (outstanding.Count < MaxOutstanding && spool.TryRead(ref position) is { } record)
                {
                    outstanding.Enqueue((record, sender.SendAsync(new OutgoingBatch(record.BatchId, record.EventCount, record.Data))));
                }

                if (outstanding.Count == 0)
                {
                    await spool.WaitForDataAsync(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var (head, outcome) = outstanding.Peek();
                if (!outcome.IsCompleted)
                {
                    await Task.WhenAny(outcome, Task.Delay(200, cancellationToken)).ConfigureAwait(false);
                }

                while (outstanding.Count > 0 && outstanding.Peek().Outcome.IsCompleted)
                {
                    (head, outcome) = outstanding.Dequeue();
                    var result = await outcome.ConfigureAwait(false);
                    if (result.Acknowledged)
                    {
                        Interlocked.Add(ref _forwardedEvents, head.EventCount);
                        Interlocked.Increment(ref _forwardedBatches);
                    }
                    else
                    {
                        Interlocked.Add(ref _rejectedEvents, head.EventCount);
                        OxbowDaemonLog.Warning("forward_rejected", "batch", head.BatchId.ToString(), "reason", result.Rejection?.Message ?? "");
                    }

                    committed = head.Next;
                    records++;
                    events += head.EventCount;
                }

                if (records > 0 && (outstanding.Count == 0 || Environment.TickCount64 - lastCommit >= 200))
                {
                    spool.Commit(committed, records, events);
                    records = events = 0;
                    lastCommit = Environment.TickCount64;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        if (records > 0)
        {
            spool.Commit(committed, records, events);
        }
    }
}
