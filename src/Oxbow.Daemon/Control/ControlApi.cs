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
using Oxbow.DuckDb;
using Oxbow.Transport;

namespace Oxbow.Daemon.Control;

/// <summary>
/// The HTTP control port: <c>GET /healthz</c>, <c>GET /v1/stats</c>, <c>GET /metrics</c>, <c>POST /v1/events</c>
/// (NDJSON ingest), <c>GET /v1/tail</c> (live NDJSON), and the admin calls <c>POST /v1/query</c> (SQL over the
/// store), <c>POST /v1/store/seal</c>, <c>POST /v1/reroute</c> and <c>POST /v1/shutdown</c>. Tokens come as <c>Authorization: Bearer …</c>.
/// </summary>
internal static partial class ControlApi
{
    public static void Map(WebApplication app, DaemonStatus status, IngestPipeline pipeline, AccessPolicy access, TailHub tail, Forwarder? forwarder)
    {
        // A bug in a handler answers with its reason and leaves a log line, never an empty 500 nobody can explain
        // (the host's own logging is off: the daemon writes its own log).
        app.Use(async (http, next) =>
        {
            try
            {
                await next(http).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && !http.Response.HasStarted)
            {
                OxbowDaemonLog.Error("request_failed", ex);
                await Problem(500, $"the daemon failed on {http.Request.Method} {http.Request.Path} ({ex.GetType().Name}: {ex.Message})").ExecuteAsync(http).ConfigureAwait(false);
            }
        });
        app.MapGet("/healthz", () => status.Ready ? Results.Text("ok\n") : Results.Text("starting or stopping\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        // Stats name every type, host, upstream and error: the admin or a metrics token reads them, like any other call.
        app.MapGet("/v1/stats", (HttpContext http) => StatsReader(http, access) ?? Results.Text(StatsJson.Write(status), "application/json"));
        app.MapGet("/metrics", (HttpContext http) => StatsReader(http, access) ?? Results.Text(PrometheusText.Write(DaemonMetrics.Read(status)), "text/plain; version=0.0.4"));
        app.MapPost("/v1/events", (Delegate)((HttpContext http) => IngestAsync(http, pipeline, access)));
        app.MapGet("/v1/tail", (HttpContext http) => TailAsync(http, access, tail));
        app.MapPost("/v1/reroute", async (HttpContext http) =>
        {
            if (Admin(http, access) is { } refusal)
            {
                return refusal;
            }

            if (forwarder is null)
            {
                return Problem(409, "this daemon is a collector; reroute applies to agents (--forward)");
            }

            using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
            var body = (await reader.ReadToEndAsync(http.RequestAborted).ConfigureAwait(false)).Trim();
            try
            {
                var endpoints = body.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                forwarder.Reroute(endpoints);
                OxbowDaemonLog.Info("rerouted", "upstreams", string.Join(",", endpoints));
                return Results.Text($"{{\"forward\":[{string.Join(",", endpoints.Select(e => $"\"{e}\""))}]}}\n", "application/json");
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                return Problem(400, ex.Message);
            }
        });
        // One query engine for the daemon's life: its DuckDB keeps views and Parquet footers between queries.
        var query = status.Store is null ? null : new Query.Store.StoreQuery(new Query.Store.StoreQueryOptions
        {
            DataDirectory = status.Options.DataDirectory,
            MemoryLimit = status.Options.QueryMemoryLimit,
            LookupIndexMemory = status.Options.LookupIndexMemory,
            FileSkipped = (file, problem) => OxbowDaemonLog.Warning("store_file_unreadable", "path", file, "reason", problem, "effect", "left out of queries"),
        });
        if (query is not null)
        {
            app.Lifetime.ApplicationStopped.Register(query.Dispose);
        }

        var queries = new QueryPolicy(status.Options.QueryTimeout, app.Lifetime.ApplicationStopping);
        app.MapPost("/v1/query", (Delegate)((HttpContext http) => QueryAsync(http, access, query, queries)));
        WebConsole.ConsoleApi.Map(app, access, query, queries, status.Options.DataDirectory);
        app.MapPost("/v1/store/seal", async (HttpContext http) =>
        {
            if (Admin(http, access) is { } refusal)
            {
                return refusal;
            }

            if (status.Store is not { } store)
            {
                return Problem(409, "this daemon is an agent; only a collector stores");
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            try
            {
                await store.SealClosedHoursAsync(timeout.Token).ConfigureAwait(false);
                return Results.Text("{\"sealed\":true}\n", "application/json");
            }
            catch (OperationCanceledException)
            {
                return Problem(503, "the store did not get to sealing in 60 s (busy with ingest, or stopping); try again");
            }
        });
        app.MapPost("/v1/shutdown", (HttpContext http, IHostApplicationLifetime lifetime) =>
        {
            if (Admin(http, access) is { } refusal)
            {
                return refusal;
            }

            OxbowDaemonLog.Info("shutdown_requested");
            lifetime.StopApplication();
            return Results.Text("{\"stopping\":true}\n", "application/json", statusCode: 202);
        });
    }

    /// <summary>
    /// <c>POST /v1/query</c> with <c>{"sql": "…", "format": "json|jsonl|csv|table", "stats": false, "max_rows": 10000, "timeout_seconds": 60}</c>.
    /// Format json (the default) answers <c>{"columns": […], "rows": [[…]], "row_count": n, "truncated": false, "stats": {…}}</c>;
    /// the others answer the text <c>oxbow query</c> prints, with <c>Oxbow-Truncated</c> and (when asked) an
    /// <c>Oxbow-Query-Stats</c> header. Rows are streamed; DuckDB is asked for at most <c>max_rows</c> (at most
    /// 1,000,000), so no answer is larger than that. A query is interrupted at its timeout (answer 408), when its client
    /// disconnects, and when the daemon stops. Needs the admin token: SQL reads every type, whatever an ingest
    /// token's scope.
    /// </summary>
    private static async Task QueryAsync(HttpContext http, AccessPolicy access, Query.Store.StoreQuery? query, QueryPolicy policy)
    {
        if (Admin(http, access) is { } refusal)
        {
            await refusal.ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        if (query is null)
        {
            await Problem(409, "this daemon is an agent; query the collector").ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        string sql;
        string format;
        bool collectStats;
        int maxRows;
        TimeSpan timeout;
        try
        {
            using var request = await System.Text.Json.JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted).ConfigureAwait(false);
            var root = request.RootElement;
            sql = root.TryGetProperty("sql", out var s) && s.ValueKind == System.Text.Json.JsonValueKind.String ? s.GetString()! : throw new FormatException("the body needs \"sql\"");
            format = root.TryGetProperty("format", out var f) ? f.GetString() ?? "json" : "json";
            collectStats = root.TryGetProperty("stats", out var st) && st.ValueKind == System.Text.Json.JsonValueKind.True;
            maxRows = root.TryGetProperty("max_rows", out var m) && m.TryGetInt32(out var n) && n > 0 ? Math.Min(n, MaxRowsCeiling) : 10_000;
            timeout = root.TryGetProperty("timeout_seconds", out var t) && t.ValueKind == System.Text.Json.JsonValueKind.Number
                ? (t.TryGetDouble(out var seconds) && seconds > 0 && seconds <= 86400 ? TimeSpan.FromSeconds(seconds) : throw new FormatException("timeout_seconds must be from 0 to 86400"))
                : policy.Timeout;
            if (format is not ("json" or "jsonl" or "csv" or "table"))
            {
                throw new FormatException($"format '{format}' is not one of json, jsonl, csv, table");
            }
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or FormatException or InvalidOperationException)
        {
            await Problem(400, ex is System.Text.Json.JsonException ? "the body must be JSON: {\"sql\": \"SELECT …\"}" : ex.Message).ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        using var timer = new CancellationTokenSource(timeout);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, policy.Stopping, timer.Token);
        IResult? failure = null;
        try
        {
            await policy.Slots.WaitAsync(cancel.Token).ConfigureAwait(false);
            // Rows go straight from DuckDB's result to the socket, on the query's own thread.
            http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpBodyControlFeature>()!.AllowSynchronousIO = true;
            var limits = new Query.Store.QueryLimits { Cancellation = cancel.Token, MaxRows = maxRows };
            var handoff = new QueryHandoff();
            var work = Task.Run(() => QueryBody.Write(http, query, sql, format, collectStats, limits, handoff), CancellationToken.None);
            var slotHeld = true;
            try
            {
                await work.WaitAsync(cancel.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (handoff.TryAbandon())
            {
                // Some of DuckDB's work (binding a query over many files) does not look at the interrupt often: the
                // caller is answered at its timeout all the same, and the work gives its slot back when it ends.
                slotHeld = false;
                _ = work.ContinueWith(_ => policy.Slots.Release(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                throw;
            }
            catch (OperationCanceledException) when (!work.IsCompleted)
            {
                // Rows are being written: the interrupt ends them, and the handler waits for the writer to stop.
                await work.ConfigureAwait(false);
                throw;
            }
            finally
            {
                if (slotHeld)
                {
                    policy.Slots.Release();
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException || ex is DuckDb.DuckDbException { ErrorType: DuckDb.DuckDbErrorType.Interrupt })
        {
            failure = timer.IsCancellationRequested
                ? Problem(408, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the query was stopped after {timeout.TotalSeconds:0.###} s (timeout_seconds, or the collector's query-timeout)"))
                : policy.Stopping.IsCancellationRequested ? Problem(503, "the collector is stopping; the query was stopped")
                : null; // the client left: nobody to answer
        }
        catch (DuckDb.DuckDbException ex)
        {
            failure = Problem(400, ex.Message.ReplaceLineEndings(" ").Trim());
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A bug answers as one, with a reason and a log line: never an empty 500.
            OxbowDaemonLog.Error("query_failed", ex);
            failure = Problem(500, $"the query failed inside the collector ({ex.GetType().Name}: {ex.Message})");
        }

        if (failure is not null && !http.Response.HasStarted)
        {
            await failure.ExecuteAsync(http).ConfigureAwait(false);
        }
    }

    private const int MaxRowsCeiling = 1_000_000;

    /// <summary>The grant for the request's <c>Authorization: Bearer</c> token (or a loopback client without a token file); null when refused.</summary>
    internal static TokenGrant? Grant(HttpContext http, AccessPolicy access)
    {
        var header = http.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        return access.Authenticate(token, http.Connection.RemoteIpAddress);
    }

    private static IResult? Admin(HttpContext http, AccessPolicy access) => Grant(http, access) switch
    {
        null => Unauthorized(access),
        { Admin: false } => Problem(403, "this call needs the admin token"),
        _ => null,
    };

    private static IResult? StatsReader(HttpContext http, AccessPolicy access) => Grant(http, access) switch
    {
        null => Unauthorized(access),
        { ReadsStats: false } => Problem(403, "stats and metrics need the admin token or a metrics token"),
        _ => null,
    };

    internal static IResult Unauthorized(AccessPolicy access) => Problem(401, access.RequiresTokens
        ? "missing or unknown token (Authorization: Bearer …)"
        : "this daemon has no token file and accepts only loopback clients");

    /// <summary>
    /// Error text is read by people in <c>curl</c> output: the relaxed encoder writes quotes as <c>\"</c> and leaves
    /// <c>'</c>, <c>&lt;</c> and non-ASCII text alone (the default writes <c>\u0022</c>). It is a JSON body, never HTML.
    /// </summary>
    private static readonly System.Text.Json.JsonSerializerOptions ReadableErrors = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    internal static IResult Problem(int status, string message) =>
        Results.Text($"{{\"error\":{System.Text.Json.JsonSerializer.Serialize(message, ReadableErrors)}}}\n", "application/json", statusCode: status);

    private static async Task TailAsync(HttpContext http, AccessPolicy access, TailHub hub)
    {
        var grant = Grant(http, access);
        if (grant is null)
        {
            await Unauthorized(access).ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        TailFilter filter;
        try
        {
            filter = new TailFilter(http.Request.Query["type"].ToString(), http.Request.Query["field"].Select(f => f ?? ""), grant, http.Request.Query["filter"].ToString());
        }
        catch (FormatException ex)
        {
            await Problem(400, ex.Message).ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        using var subscription = hub.Subscribe(filter);
        http.Response.ContentType = "application/x-ndjson";
        await http.Response.StartAsync(http.RequestAborted).ConfigureAwait(false);
        // The first line is sent at once, so a client knows it is subscribed before any event arrives.
        await http.Response.Body.WriteAsync("\n"u8.ToArray(), http.RequestAborted).ConfigureAwait(false);
        await http.Response.Body.FlushAsync(http.RequestAborted).ConfigureAwait(false);
        var lines = subscription.Lines;
        try
        {
            while (await lines.WaitToReadAsync(http.RequestAborted).ConfigureAwait(false))
            {
                while (lines.TryRead(out var line))
                {
                    await http.Response.Body.WriteAsync(line, http.RequestAborted).ConfigureAwait(false);
                    await http.Response.Body.WriteAsync("\n"u8.ToArray(), http.RequestAborted).ConfigureAwait(false);
                }

                await http.Response.Body.FlushAsync(http.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The subscriber left.
        }
    }
}
