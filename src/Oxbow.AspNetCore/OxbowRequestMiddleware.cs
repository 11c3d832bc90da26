using System.Diagnostics;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Oxbow.AspNetCore;

/// <summary>
/// Wraps each request in an Oxbow context (<c>request</c> by default), so everything logged while it runs is a
/// sub-event with its id, and emits one event when it ends: <c>method</c>, <c>route</c> (the endpoint's template),
/// <c>path</c>, <c>query</c>, <c>status</c>, <c>response.bytes</c>, <c>request_time</c> (seconds), <c>client_ip</c>,
/// <c>user</c> (when authenticated), <c>user_agent</c>, allow-listed <c>headers.*</c>, <c>app_version</c>,
/// <c>request_id</c>, and on an unhandled exception the exception with status 500.
/// </summary>
/// <remarks>
/// <para>Each request starts from a clean ambient scope (<see cref="Ox.BeginCleanScope"/>): nothing bound or left open
/// by earlier work on the same thread leaks into it.</para>
/// <para><c>request_id</c> is the incoming <c>X-Request-ID</c> header, or the request event's id when the header is
/// absent (then it is also sent back in the response's <c>X-Request-ID</c>). It is bound to the request's flow, so
/// every event of the request carries it: the <c>request</c> event, its log events and its sub-contexts.</para>
/// <para>Trace context: the request runs in ASP.NET Core's own request <see cref="Activity"/>, the one the hosting layer
/// starts and OpenTelemetry exports as the server span; the middleware never replaces it. That Activity continues a
/// valid incoming <c>traceparent</c> (same trace id; its span is <c>parent_span_id</c>) and starts a new trace for an
/// absent or invalid one, parsed by the runtime's propagator. When the hosting layer made no Activity (logging off and
/// no listener), the middleware starts one itself with the same rules (<see cref="ActivityContext.TryParse(string?, string?, bool, out ActivityContext)"/>).
/// The Activity puts <c>trace_id</c> and <c>span_id</c> on every event of the request and lets outgoing calls carry the
/// trace on. The trace goes back to the caller in the <c>traceresponse</c> header.</para>
/// </remarks>
public sealed class OxbowRequestMiddleware(RequestDelegate next, OxbowRequestOptions options)
{
    private static readonly HashSet<string> NeverRecorded = new(StringComparer.OrdinalIgnoreCase) { "Authorization", "Cookie", "Proxy-Authorization", "Set-Cookie" };

    /// <summary>Runs one request.</summary>
    public async Task InvokeAsync(HttpContext http)
    {
        // ASP.NET Core's hosting layer has usually started the request's Activity already (whenever logging, a
        // DiagnosticListener or an ActivitySource listener such as OpenTelemetry is on), continuing the incoming
        // traceparent through the runtime's propagator. That Activity is the server span OpenTelemetry exports, so the
        // request event uses it as it is. Only without one (or with a non-W3C one) does the middleware start its own.
        var hosting = Activity.Current;
        var own = hosting is { IdFormat: ActivityIdFormat.W3C } ? null : StartOwnActivity(http);
        var activity = own ?? hosting!;
        var parentSpan = activity.ParentSpanId != default ? activity.ParentSpanId.ToHexString() : null;
        using var clean = Ox.BeginCleanScope();
        try
        {
            http.Response.OnStarting(() =>
            {
                http.Response.Headers[options.ResponseHeader] = TraceParent.Format(activity.TraceId, activity.SpanId, activity.ActivityTraceFlags);
                return Task.CompletedTask;
            });
            using var context = Ox.Context(options.EventType);
            var requestId = http.Request.Headers["X-Request-ID"].ToString();
            if (requestId.Length == 0)
            {
                requestId = context.Enabled ? context.Id : Guid.NewGuid().ToString("N");
                http.Response.Headers["X-Request-ID"] = requestId;
            }

            context.Set("request_id", requestId);
            using var requestScope = Ox.BindScope("request_id", requestId);
            var counting = new CountingStream(http.Response.Body);
            http.Response.Body = counting;
            var started = Stopwatch.GetTimestamp();
            Describe(http, context, parentSpan);
            try
            {
                await next(http).ConfigureAwait(false);
                context.Set("status", http.Response.StatusCode);
            }
            catch (Exception ex)
            {
                context.Fail(ex);
                context.Set("status", StatusCodes.Status500InternalServerError);
                if (!http.Response.HasStarted)
                {
                    http.Response.StatusCode = StatusCodes.Status500InternalServerError;
                }

                throw;
            }
            finally
            {
                context.Set("request_time", Stopwatch.GetElapsedTime(started).TotalSeconds);
                context.Set("response.bytes", counting.Written);
                if (http.GetEndpoint() is RouteEndpoint endpoint && endpoint.RoutePattern.RawText is { } route)
                {
                    context.Set("route", route);
                }

                if (http.User.Identity is { IsAuthenticated: true } identity)
                {
                    context.Set("user", http.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? identity.Name);
                }

                http.Response.Body = counting.Inner;
            }
        }
        finally
        {
            own?.Stop(); // restores Activity.Current to what it was
        }
    }

    private static Activity StartOwnActivity(HttpContext http)
    {
        var activity = new Activity("Oxbow.Request");
        activity.SetIdFormat(ActivityIdFormat.W3C);
        if (TraceParent.TryParse(http.Request.Headers["traceparent"], out var remote))
        {
            activity.SetParentId(remote.TraceId, remote.SpanId, remote.TraceFlags);
        }

        // Without a valid header, a non-W3C outer Activity (if any) cannot lend its trace: Start makes a new one.
        return activity.Start();
    }

    private void Describe(HttpContext http, OxContext context, string? parentSpan)
    {
        var request = http.Request;
        context.Set("method", request.Method);
        context.Set("path", request.Path.Value ?? "/");
        if (request.QueryString.HasValue)
        {
            context.Set("query", request.QueryString.Value);
        }

        var clientIp = http.Connection.RemoteIpAddress?.ToString();
        if (options.TrustForwardedHeaders && request.Headers["X-Forwarded-For"].ToString() is { Length: > 0 } forwarded)
        {
            clientIp = forwarded.Split(',')[0].Trim();
        }

        if (clientIp is not null)
        {
            context.Set("client_ip", clientIp);
        }

        if (request.Headers.UserAgent.ToString() is { Length: > 0 } agent)
        {
            context.Set("user_agent", agent);
        }

        if (parentSpan is not null)
        {
            context.Set("parent_span_id", parentSpan);
        }

        if (options.AppVersion is { } version)
        {
            context.Set("app_version", version);
        }

        foreach (var name in options.Headers)
        {
            if (!NeverRecorded.Contains(name) && request.Headers.TryGetValue(name, out var value))
            {
                context.Set("headers." + name.ToLowerInvariant().Replace('.', '_'), value.ToString());
            }
        }
    }

    /// <summary>Counts response bytes on their way out.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public Stream Inner => inner;

        public long Written { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            Written += count;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            Written += buffer.Length;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}

/// <summary><c>app.UseOxbowRequests()</c>.</summary>
public static class OxbowApplicationBuilderExtensions
{
    /// <summary>
    /// Adds the request middleware. Put it first (before routing), so every request, including failed ones, is one
    /// event; the route template is read after the endpoint ran.
    /// </summary>
    public static IApplicationBuilder UseOxbowRequests(this IApplicationBuilder app, Action<OxbowRequestOptions>? configure = null)
    {
        var options = new OxbowRequestOptions();
        configure?.Invoke(options);
        return app.UseMiddleware<OxbowRequestMiddleware>(options);
    }
}
