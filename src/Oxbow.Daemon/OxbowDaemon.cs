using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Oxbow.Daemon.Auth;
using Oxbow.Daemon.Buffers;
using Oxbow.Daemon.Compaction;
using Oxbow.Daemon.Configuration;
using Oxbow.Daemon.Connections;
using Oxbow.Daemon.Control;
using Oxbow.Daemon.Forwarding;
using Oxbow.Daemon.Ingest;
using Oxbow.Daemon.Metrics;
using Oxbow.Daemon.Receivers;
using Oxbow.Daemon.Schemas;
using Oxbow.Daemon.Spool;
using Oxbow.Daemon.Stats;
using Oxbow.Daemon.Syslog;
using Oxbow.Daemon.Systemd;
using Oxbow.Daemon.Tail;
using Oxbow.Query.Store;
using Oxbow.Receivers.Otlp;
using Oxbow.Receivers.Seq;
using Oxbow.Store;
using Oxbow.Store.Partitions;
using Oxbow.Transport;

namespace Oxbow.Daemon;

/// <summary>
/// <c>oxbow serve</c>: one process that ingests (binary TCP and HTTP), spools to disk, and then either stores
/// (collector) or forwards (agent, with <c>--forward</c>). Kestrel hosts both ports.
/// </summary>
public sealed class OxbowDaemon
{
    private readonly DaemonOptions _options;

    /// <summary>Present while the collector is stopped cleanly: its files are all checkpointed.</summary>
    public static string CleanStopMarker(string dataDirectory) => Path.Combine(dataDirectory, "_oxbow", "clean-stop");

    /// <summary>A daemon with these settings; nothing starts until <see cref="RunAsync"/>.</summary>
    public OxbowDaemon(DaemonOptions options) => _options = options;

    /// <summary>Runs until SIGTERM/SIGINT or <c>POST /v1/shutdown</c>, then drains and returns.</summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        var options = _options;
        var access = options.TokenFile is null ? AccessPolicy.LoopbackOnly : AccessPolicy.Load(options.TokenFile);
        Directory.CreateDirectory(options.DataDirectory);
        // One daemon per data directory: a second one would interleave spool segments, files and ledgers.
        using var daemonLock = StoreLock.TryAcquire(options.DataDirectory, StoreLock.Daemon)
            ?? throw new IOException($"another oxbow daemon is running on {Path.GetFullPath(options.DataDirectory)}");
        // A collector's spool writes batches straight into the store and keeps only where they went (each byte is
        // written once); an agent's spool keeps the batches until they are delivered.
        PartitionStore? store = null;
        if (!options.IsAgent)
        {
            File.Delete(CleanStopMarker(options.DataDirectory));
            store = new PartitionStore(new StorageOptions { DataDirectory = options.DataDirectory, SealAfterIdle = options.SealAfterIdle, CollectorName = options.Name, MaxOpenFiles = options.MaxOpenFiles });
        }

        using var spool = SpoolLog.Open(new SpoolOptions
        {
            Directory = Path.Combine(options.DataDirectory, "_oxbow", "spool"),
            MaxBytes = options.SpoolMaxBytes,
            FullPolicy = options.SpoolFull,
        }, store);
        if (spool.SkippedRecords > 0)
        {
            OxbowDaemonLog.Warning("spool_recovered_with_damage", "skipped_records", spool.SkippedRecords, "skipped_bytes", spool.SkippedBytes);
        }

        var stats = new DaemonStats();
        var tail = new TailHub();
        var schemas = options.SchemaDirectory is null ? SchemaRegistry.Empty : SchemaRegistry.Load(options.SchemaDirectory);
        var pipeline = new IngestPipeline(spool, stats, tail, options.MaxEventBytes, options.MaxBatchBytes, TimeProvider.System, schemas, new AcceptedWindow(options.AcceptPast, options.AcceptFuture));
        BackgroundCompaction? compaction = null;
        Forwarder? forwarder = null;
        BatchSender? sender = null;
        if (options.IsAgent)
        {
            sender = new BatchSender(new BatchSenderOptions
            {
                Endpoints = options.Forward,
                Token = options.ForwardTokenFile is null ? "" : File.ReadAllText(options.ForwardTokenFile).Trim(),
                ClientName = options.Name,
                UseTls = options.ForwardTls,
                TrustedCertificate = options.ForwardTlsCertificate is null ? null : X509CertificateLoader.LoadCertificateFromFile(options.ForwardTlsCertificate),
            });
            forwarder = new Forwarder(spool, sender);
        }
        else
        {
            if (options.CompactAfter is { } grace)
            {
                // Replaced files outlive the longest query the control port runs by default, so no query finds one gone.
                compaction = new BackgroundCompaction(options.DataDirectory, grace, options.QueryTimeout + TimeSpan.FromSeconds(30));
            }
        }

        // Stopping ends idle connections at once (Kestrel would otherwise wait out its shutdown timeout for them).
        using var stopping = new CancellationTokenSource();
        var limits = new ConnectionLimits(options.Connections, stats, stopping.Token);
        var syslog = new SyslogIntake(pipeline, new SyslogPolicy(options.SyslogType, options.SyslogTypePrefix, options.SyslogAllow), options.MaxEventBytes, TimeProvider.System);
        using var syslogUdp = options.SyslogUdp is { } udp ? new SyslogUdpListener(udp, syslog, options.SyslogUdpBuffer) : null;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(pipeline);
        builder.Services.AddSingleton(access);
        builder.Services.AddSingleton(new IngestConnectionHandler(pipeline, access, options.Name, limits));
        builder.Services.AddSingleton(new SyslogTcpHandler(syslog, limits));
        builder.Services.AddSingleton(limits);
        builder.Services.AddSingleton<IMemoryPoolFactory<byte>>(new LargeBlockMemoryPoolFactory());
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null; // HTTP ingest enforces its own limit and answers 413 itself.
            kestrel.AddServerHeader = false;
            // With TLS configured both ports use it: the control port carries bearer tokens for ingest, query and shutdown.
            var certificate = options.TlsCertificate is null ? null : X509Certificate2.CreateFromPemFile(options.TlsCertificate, options.TlsKey);
            kestrel.Listen(options.Control, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            });
            kestrel.Listen(options.Listen, listen =>
            {
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }

                listen.UseConnectionHandler<IngestConnectionHandler>();
            });
            if (options.SyslogTcp is { } tcp)
            {
                kestrel.Listen(tcp, listen => listen.UseConnectionHandler<SyslogTcpHandler>());
            }

            if (options.Otlp is { } otlpHttp)
            {
                kestrel.Listen(otlpHttp, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    if (certificate is not null)
                    {
                        listen.UseHttps(certificate);
                    }
                });
            }

            if (options.OtlpGrpc is { } otlpGrpc)
            {
                kestrel.Listen(otlpGrpc, listen =>
                {
                    // Without TLS, gRPC needs HTTP/2 spoken from the first byte (h2c), as OTLP exporters do.
                    listen.Protocols = HttpProtocols.Http2;
                    if (certificate is not null)
                    {
                        listen.UseHttps(certificate);
                    }
                });
            }
        });
        var otlp = new ReceiverIntake(pipeline, access, new OtlpMapping { LogType = options.OtlpLogType, MaxEventBytes = options.MaxEventBytes },
            new ClefMapping { Type = options.SeqType, MaxEventBytes = options.MaxEventBytes });
        if (options.OtlpGrpc is not null)
        {
            builder.Services.AddSingleton(otlp);
            builder.Services.AddGrpc(grpc => grpc.MaxReceiveMessageSize = options.MaxBatchBytes);
        }

        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(20));
        var app = builder.Build();
        using var systemd = SystemdNotifier.FromEnvironment(Environment.GetEnvironmentVariable);
        app.Lifetime.ApplicationStopping.Register(stopping.Cancel);
        app.Lifetime.ApplicationStopping.Register(() => systemd?.Notify("STOPPING=1\nSTATUS=stopping"));
        var started = DateTime.UtcNow;
        var status = new DaemonStatus(options, started, spool, stats, tail, store, forwarder, compaction) { Limits = limits };
        ControlApi.Map(app, status, pipeline, access, tail, forwarder);
        SeqHttp.Map(app, otlp);
        if (options.Otlp is { } otlpPort)
        {
            OtlpHttp.Map(app, otlp, otlpPort.Port);
        }

        if (options.OtlpGrpc is { } grpcPort)
        {
            // Served only where the client addressed the gRPC listener.
            app.MapGrpcService<OtlpLogsGrpc>().RequireHost($"*:{grpcPort.Port}");
            app.MapGrpcService<OtlpTraceGrpc>().RequireHost($"*:{grpcPort.Port}");
        }
        using var meter = DaemonMeter.Start(status);

        using var consumerStop = new CancellationTokenSource();
        var consumer = store is not null
            ? Task.Run(() => store.RunAsync(spool, consumerStop.Token), CancellationToken.None)
            : Task.Run(() => forwarder!.RunAsync(consumerStop.Token), CancellationToken.None);

        // A consumer that fails must be seen: log it. Nothing acknowledged is lost with it: an agent's spool keeps the
        // batches, and a collector's batches are in the store files with the spool's records of them, for the next start.
        _ = consumer.ContinueWith(t => OxbowDaemonLog.Error("consumer_failed", t.Exception!.GetBaseException()), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        var compacting = compaction is null ? Task.CompletedTask : Task.Run(() => compaction.RunAsync(consumerStop.Token), CancellationToken.None);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            // Kestrel names every listener "http://…", even the binary ingest port: say which one, and how to move it.
            throw new IOException(BindFailure(options, ex.Message), ex);
        }

        using var syslogStop = new CancellationTokenSource();
        var receivingSyslog = syslogUdp is null ? Task.CompletedTask : Task.Run(() => syslogUdp.RunAsync(syslogStop.Token), CancellationToken.None);
        status.Ready = true;
        if (store is not null)
        {
            // Lets `oxbow store zip --data DIR` find this collector to ask it to seal closed hours.
            // Line 1 the control URL; line 2, with TLS, the certificate a local client pins.
            File.WriteAllText(Path.Combine(options.DataDirectory, "_oxbow", "control"), options.TlsCertificate is null
                ? $"http://{options.Control}\n"
                : $"https://{options.Control}\n{Path.GetFullPath(options.TlsCertificate)}\n");
        }

        OxbowDaemonLog.Info("started", "role", options.IsAgent ? "agent" : "collector", "data", Path.GetFullPath(options.DataDirectory));
        OxbowDaemonLog.Info("listening", "ingest", options.Listen.ToString(), "control", $"{(options.TlsCertificate is null ? "http" : "https")}://{options.Control}");
        if (!access.RequiresTokens)
        {
            OxbowDaemonLog.Warning("no_token_file", "accepting", "loopback clients only");
        }

        if (schemas.Types.Count > 0)
        {
            OxbowDaemonLog.Info("schemas", "types", string.Join(",", schemas.Types));
        }

        if (options.Otlp is not null || options.OtlpGrpc is not null)
        {
            OxbowDaemonLog.Info("otlp", "http", options.Otlp?.ToString() ?? "off", "grpc", options.OtlpGrpc?.ToString() ?? "off");
        }

        if (options.SyslogUdp is not null || options.SyslogTcp is not null)
        {
            OxbowDaemonLog.Info("syslog", "udp", options.SyslogUdp?.ToString() ?? "off", "tcp", options.SyslogTcp?.ToString() ?? "off");
        }

        if (options.IsAgent)
        {
            OxbowDaemonLog.Info("forwarding", "upstreams", string.Join(",", options.Forward));
        }

        // Every listener is bound and recovery is done: a Type=notify unit's dependents may start now.
        systemd?.Notify($"READY=1\nSTATUS={(options.IsAgent ? "agent" : "collector")}: ingest {options.Listen}, control {options.Control}\nMAINPID={Environment.ProcessId}");

        await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        status.Ready = false;
        // Kestrel has stopped taking work and finished what it had; everything acknowledged is in the spool.
        await syslogStop.CancelAsync().ConfigureAwait(false);
        await receivingSyslog.ConfigureAwait(false);
        await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await consumerStop.CancelAsync().ConfigureAwait(false);
        await consumer.ConfigureAwait(false);
        await compacting.ConfigureAwait(false);
        if (store is not null)
        {
            // Every store file's length is in the ledger now, so an offline `store zip` may compact open files too.
            File.WriteAllText(CleanStopMarker(options.DataDirectory), DateTime.UtcNow.ToString("O"));
            File.Delete(Path.Combine(options.DataDirectory, "_oxbow", "control"));
        }

        if (sender is not null)
        {
            await sender.DisposeAsync().ConfigureAwait(false);
        }

        await app.DisposeAsync().ConfigureAwait(false);
        OxbowDaemonLog.Info("stopped", "pending_events", spool.Stats.PendingEvents);
    }

    /// <summary>A bind failure in the daemon's own words: which listener, which setting moves it.</summary>
    private static string BindFailure(DaemonOptions options, string kestrelMessage)
    {
        (System.Net.IPEndPoint? EndPoint, string What, string Flag, string Variable)[] listeners =
        [
            (options.Listen, "binary ingest", "--listen", "OXBOW_LISTEN"),
            (options.Control, "HTTP control", "--control", "OXBOW_CONTROL"),
            (options.SyslogTcp, "syslog TCP", "--syslog-tcp", "OXBOW_SYSLOG_TCP"),
            (options.Otlp, "OTLP/HTTP", "--otlp", "OXBOW_OTLP"),
            (options.OtlpGrpc, "OTLP/gRPC", "--otlp-grpc", "OXBOW_OTLP_GRPC"),
        ];
        foreach (var (endPoint, what, flag, variable) in listeners)
        {
            if (endPoint is not null && kestrelMessage.Contains($":{endPoint.Port}", StringComparison.Ordinal))
            {
                return $"cannot listen on {endPoint} ({what}): the address is already in use (another oxbow daemon?); choose another with {flag} host:port or {variable}";
            }
        }

        return kestrelMessage;
    }
}
