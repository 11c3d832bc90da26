using Oxbow.Daemon.Configuration;
using Oxbow.Daemon.Forwarding;
using Oxbow.Daemon.Spool;
using Oxbow.Daemon.Tail;
using Oxbow.Store.Partitions;

namespace Oxbow.Daemon.Stats;

/// <summary>The parts whose numbers make up <c>/v1/stats</c> and <c>/metrics</c>.</summary>
internal sealed record DaemonStatus(DaemonOptions Options, DateTime StartedUtc, SpoolLog Spool, DaemonStats Stats, TailHub Tail, PartitionStore? Store, Forwarder? Forwarder, Compaction.BackgroundCompaction? Compaction)
{
    /// <summary>The connection bounds, for the partly received bytes they hold now; null in tests that build no listener.</summary>
    public Connections.ConnectionLimits? Limits { get; init; }

    private volatile bool _ready;

    /// <summary>
    /// True once every listener is bound and the consumer runs, false again while stopping. <c>/healthz</c> answers
    /// 503 otherwise: the control port binds first, so "it answers" is not "it is ready".
    /// </summary>
    public bool Ready
    {
        get => _ready;
        set => _ready = value;
    }
}
