using Oxbow.Daemon.Configuration;
using Oxbow.Daemon.Forwarding;
using Oxbow.Daemon.Spool;
using Oxbow.Daemon.Storage;
using Oxbow.Daemon.Tail;

namespace Oxbow.Daemon.Stats;

/// <summary>The parts whose numbers make up <c>/v1/stats</c> and <c>/metrics</c>.</summary>
internal sealed record DaemonStatus(DaemonOptions Options, DateTime StartedUtc, SpoolLog Spool, DaemonStats Stats, TailHub Tail, PartitionStore? Store, Forwarder? Forwarder);
