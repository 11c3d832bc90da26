using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Oxbow.Daemon.Auth;
using Oxbow.Daemon.Control;
using Oxbow.DuckDb;
using Oxbow.Query.Search;
using Oxbow.Query.Store;

namespace Oxbow.Daemon.WebConsole;

/// <summary>
/// The HTTP API behind the web console, usable with <c>curl</c> (docs/daemon.md, "Console API"): the schema, a page
/// of events, their histogram, one request's events, one trace, charts and saved dashboards. Every call needs a token
/// when a token file is in force, and a token scoped to types sees only those types. Filters go through
/// <see cref="FilterLanguage"/>, never into SQL as text.
/// </summary>
internal static class ConsoleApi
{
    public static void Map(WebApplication app, AccessPolicy access, StoreQuery? query, QueryPolicy policy, string dataDirectory)
    {
        ConsoleAssets.Map(app);
        // A handler that returns its result (a bare lambda over HttpContext would be taken as a RequestDelegate).
        void Get(string pattern, Func<HttpContext, Task<IResult>> handler) => app.MapGet(pattern, (Delegate)handler);
        var dashboards = new DashboardFile(Path.Combine(dataDirectory, "_oxbow", "console", "dashboards.json"));
        Get("/v1/console/schema", http => RunAsync(http, access, query, policy, (grant, store, cancel) =>
            Json(w =>
            {
                w.WriteStartArray("types");
                foreach (var type in Visible(store.Schema(cancel), grant))
                {
                    w.WriteStartObject();
                    w.WriteString("type", type.Type);
                    w.WriteStartArray("columns");
                    foreach (var (name, columnType) in type.Columns)
                    {
                        w.WriteStartObject();
                        w.WriteString("name", name);
                        w.WriteString("type", columnType);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            })));
        Get("/v1/console/search", http => RunAsync(http, access, query, policy, (grant, store, cancel) =>
        {
            var search = ConsoleRequest.Search(http.Request.Query, Visible(store.Schema(cancel), grant), grant, out var empty);
            var limit = ConsoleRequest.Int(http.Request.Query, "limit", 100, 1, EventSearch.MaxPage);
            var before = ConsoleRequest.Cursor(http.Request.Query["before"].ToString());
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var rows = empty ? new Rows([], []) : Read(store, search.PageSql(limit, before), cancel);
            return Json(w =>
            {
                WriteEvents(w, rows, limit);
                w.WriteString("next", rows.Values.Count > limit ? ConsoleRequest.CursorOf(rows, limit - 1) : null);
                w.WriteNumber("elapsed_ms", Math.Round(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, 1));
            });
        }));
        Get("/v1/console/histogram", http => RunAsync(http, access, query, policy, (grant, store, cancel) =>
        {
            var search = ConsoleRequest.Search(http.Request.Query, Visible(store.Schema(cancel), grant), grant, out var empty);
            var width = search.BucketWidth();
            var series = http.Request.Query["by"].ToString() is "type" ? "type" : "level";
            var rows = empty ? new Rows([], []) : Read(store, search.CountSql(width, series), cancel);
            return Json(w =>
            {
                w.WriteNumber("width_ms", (long)width.TotalMilliseconds);
                w.WriteNumber("from_ms", new DateTimeOffset(search.From).ToUnixTimeMilliseconds());
                w.WriteNumber("to_ms", new DateTimeOffset(search.To).ToUnixTimeMilliseconds());
                WriteTable(w, rows);
            });
        }));
        Get("/v1/console/chart", http => RunAsync(http, access, query, policy, (grant, store, cancel) =>
        {
            var schema = Visible(store.Schema(cancel), grant);
            var search = ConsoleRequest.Search(http.Request.Query, schema, grant, out var empty);
            var width = search.BucketWidth();
            var kind = http.Request.Query["kind"].ToString();
            var sql = kind switch
            {
                "count" => search.CountSql(width, http.Request.Query["by"].ToString() is "type" ? "type" : "level"),
                "error_rate" => search.ErrorRateSql(width),
                "percentiles" => search.PercentilesSql(ConsoleRequest.Column(http.Request.Query, "field", schema), ConsoleRequest.Column(http.Request.Query, "by", schema)),
                _ => throw new FormatException("kind must be count, error_rate or percentiles"),
            };
            var rows = empty ? new Rows([], []) : Read(store, sql, cancel);
            return Json(w =>
            {
                w.WriteString("kind", kind);
                w.WriteNumber("width_ms", (long)width.TotalMilliseconds);
                WriteTable(w, rows);
            });
        }));
        app.MapGet("/v1/console/request/{id}", (HttpContext http, string id) => RunAsync(http, access, query, policy, (grant, store, cancel) =>
            ByKey(store, grant, cancel, types => EventSearch.RequestSql(ConsoleRequest.Key(id, "id"), types))));
        app.MapGet("/v1/console/trace/{traceId}", (HttpContext http, string traceId) => RunAsync(http, access, query, policy, (grant, store, cancel) =>
            ByKey(store, grant, cancel, types => EventSearch.TraceSql(ConsoleRequest.Key(traceId, "trace id"), types))));
        app.MapGet("/v1/console/dashboards", (HttpContext http) =>
            ControlApi.Grant(http, access) is null ? ControlApi.Unauthorized(access) : Results.Bytes(dashboards.Read(), "application/json"));
        app.MapPut("/v1/console/dashboards", async (HttpContext http) =>
        {
            if (ControlApi.Grant(http, access) is not { } grant)
            {
                return ControlApi.Unauthorized(access);
            }

            if (!grant.Admin)
            {
                return ControlApi.Problem(403, "saving dashboards needs the admin token");
            }

            try
            {
                await dashboards.ReplaceAsync(http.Request.Body, http.RequestAborted).ConfigureAwait(false);
                return Results.Bytes(dashboards.Read(), "application/json");
            }
            catch (FormatException ex)
            {
                return ControlApi.Problem(400, ex.Message);
            }
        });
    }

    /// <summary>The types a grant may read, with their columns.</summary>
    private static IReadOnlyList<TypeSchema> Visible(IReadOnlyList<TypeSchema> schema, TokenGrant grant) =>
        grant.Scopes.Contains("*") ? schema : [.. schema.Where(t => grant.Allows(t.Type))];

    private static IResult ByKey(StoreQuery store, TokenGrant grant, CancellationToken cancel, Func<IReadOnlyList<string>, string> sql)
    {
        // A scoped token reads its own types only; an unscoped one needs no condition (and the lookup index does the rest).
        IReadOnlyList<string> types = grant.Scopes.Contains("*") ? [] : [.. Visible(store.Schema(cancel), grant).Select(t => t.Type)];
        var rows = !grant.Scopes.Contains("*") && types.Count == 0 ? new Rows([], []) : Read(store, sql(types), cancel);
        return Json(w => WriteEvents(w, rows, int.MaxValue));
    }

    /// <summary>A result held whole: console answers are pages, bounded by their LIMIT.</summary>
    internal sealed record Rows(IReadOnlyList<QueryColumn> Columns, List<object?[]> Values);

    private static Rows Read(StoreQuery store, string sql, CancellationToken cancel)
    {
        Rows? rows = null;
        store.Read(sql, result => rows = new Rows(result.Columns, [.. result.Rows()]), new QueryLimits { Cancellation = cancel });
        return rows!;
    }

    /// <summary>Events as objects, nulls and the partition columns left out, at most <paramref name="limit"/>.</summary>
    private static void WriteEvents(Utf8JsonWriter w, Rows rows, int limit)
    {
        w.WriteStartArray("events");
        foreach (var row in rows.Values.Take(limit))
        {
            w.WriteStartObject();
            for (var c = 0; c < rows.Columns.Count; c++)
            {
                if (row[c] is { } value && rows.Columns[c].Name is not ("day" or "hour"))
                {
                    w.WritePropertyName(rows.Columns[c].Name);
                    Query.Output.ValueJson.Write(w, value, omitNullFields: true);
                }
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteTable(Utf8JsonWriter w, Rows rows)
    {
        w.WriteStartArray("columns");
        foreach (var column in rows.Columns)
        {
            w.WriteStringValue(column.Name);
        }

        w.WriteEndArray();
        w.WriteStartArray("rows");
        foreach (var row in rows.Values)
        {
            w.WriteStartArray();
            foreach (var value in row)
            {
                Query.Output.ValueJson.Write(w, value);
            }

            w.WriteEndArray();
        }

        w.WriteEndArray();
    }

    private static IResult Json(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return Results.Bytes(buffer.WrittenMemory.ToArray(), "application/json");
    }

    /// <summary>
    /// Runs a console call's store work on its own thread within the control port's query policy (a few at a time,
    /// the query timeout, interrupted when the caller leaves or the daemon stops), and answers its errors as 400s
    /// with their reason.
    /// </summary>
    private static async Task<IResult> RunAsync(HttpContext http, AccessPolicy access, StoreQuery? query, QueryPolicy policy, Func<TokenGrant, StoreQuery, CancellationToken, IResult> work)
    {
        if (ControlApi.Grant(http, access) is not { } grant)
        {
            return ControlApi.Unauthorized(access);
        }

        if (query is null)
        {
            return ControlApi.Problem(409, "this daemon is an agent; its collector serves the console's data");
        }

        using var timer = new CancellationTokenSource(policy.Timeout);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, policy.Stopping, timer.Token);
        try
        {
            await policy.Slots.WaitAsync(cancel.Token).ConfigureAwait(false);
            try
            {
                return await Task.Run(() => work(grant, query, cancel.Token), CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                policy.Slots.Release();
            }
        }
        catch (FormatException ex)
        {
            return ControlApi.Problem(400, ex.Message);
        }
        catch (Exception ex) when (ex is OperationCanceledException || ex is DuckDbException { ErrorType: DuckDbErrorType.Interrupt })
        {
            return timer.IsCancellationRequested
                ? ControlApi.Problem(408, string.Create(CultureInfo.InvariantCulture, $"the query was stopped after {policy.Timeout.TotalSeconds:0.###} s (the collector's query-timeout)"))
                : ControlApi.Problem(503, "the query was stopped (the caller left, or the collector is stopping)");
        }
        catch (DuckDbException ex)
        {
            return ControlApi.Problem(400, ex.Message.ReplaceLineEndings(" ").Trim());
        }
    }
}
