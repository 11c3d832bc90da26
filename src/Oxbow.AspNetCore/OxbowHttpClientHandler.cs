using System.Diagnostics;
using System.Net.Http;
using System.Text;

namespace Oxbow.AspNetCore;

/// <summary>
/// A <see cref="DelegatingHandler"/> for outgoing calls: sends the current trace on (<c>traceparent</c>, with the
/// caller's span as the parent) and records each call as a <c>&lt;context&gt;.httpclient</c> sub-event sharing the
/// current context's id: <c>method</c>, <c>uri</c> (no user info; query values of secret-looking keys replaced),
/// <c>status</c>, <c>request.bytes</c>, <c>response.bytes</c>, <c>request_time</c>, and <c>error</c> when the call
/// fails, with the exception: <c>timeout</c> (<see cref="HttpClient.Timeout"/> or a connect timeout),
/// <c>canceled</c> (the caller's token, or the client cancelled its pending requests) or <c>connection_failed</c>.
/// </summary>
public sealed class OxbowHttpClientHandler : DelegatingHandler
{
    private static readonly string[] SecretKeys = ["token", "key", "secret", "password", "passwd", "signature", "sig", "code", "auth"];

    /// <summary>A handler to chain in front of <paramref name="inner"/>; null means a plain <see cref="HttpClientHandler"/>
    /// (with <c>IHttpClientFactory</c>, use <c>AddHttpMessageHandler</c> and the parameterless form).</summary>
    public OxbowHttpClientHandler(HttpMessageHandler? inner = null)
    {
        if (inner is not null)
        {
            InnerHandler = inner;
        }
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // The runtime's HttpClientHandler injects traceparent itself, from the client span when a listener (such as
        // OpenTelemetry) makes one: a header set here first would hide that span from the callee. So the handler
        // sets it only for inner handlers that do not (a test server's, a custom transport).
        var activity = Activity.Current;
        if (activity is { IdFormat: ActivityIdFormat.W3C } && !request.Headers.Contains("traceparent") && !RuntimePropagates())
        {
            request.Headers.TryAddWithoutValidation("traceparent", TraceParent.Format(activity.TraceId, activity.SpanId, activity.ActivityTraceFlags));
        }

        var context = Ox.Context(OxContext.Current is null ? "httpclient" : ".httpclient");
        var handedOver = false;
        context.Set("method", request.Method.Method);
        if (request.RequestUri is { } uri)
        {
            context.Set("uri", Describe(uri));
        }

        if (request.Content?.Headers.ContentLength is { } sent)
        {
            context.Set("request.bytes", sent);
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            RecordClientSpan(request, activity, context);
            context.Set("status", (int)response.StatusCode);
            if (response.Content.Headers.ContentLength is { } received)
            {
                context.Set("response.bytes", received);
            }

            return response;
        }
        catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested)
        {
            // HttpClient's timeout or the caller's token: only HttpClient knows which, once this exception leaves.
            context.Set("request_time", Stopwatch.GetElapsedTime(started).TotalSeconds);
            context.Fail(ex);
            CancellationVerdict.Await(ex, context);
            handedOver = true;
            throw;
        }
        catch (OperationCanceledException ex)
        {
            // Cancelled without the token being cancelled: a timeout inside the handler chain (a connect timeout).
            context.Set("error", "timeout");
            context.Fail(ex);
            throw;
        }
        catch (HttpRequestException ex)
        {
            context.Set("error", "connection_failed");
            context.Fail(ex);
            throw;
        }
        finally
        {
            if (!handedOver)
            {
                context.Set("request_time", Stopwatch.GetElapsedTime(started).TotalSeconds);
                context.Dispose();
            }
        }
    }

    /// <summary>
    /// When the call ran as its own client span (the runtime made one below this handler and sent it on), the event
    /// takes that span as its <c>span_id</c>, with the caller's span as <c>parent_span_id</c>: the callee's request
    /// event names the same span as its parent, so the trace joins up.
    /// </summary>
    private static void RecordClientSpan(HttpRequestMessage request, Activity? caller, OxContext context)
    {
        if (context.Enabled && request.Headers.TryGetValues("traceparent", out var values)
            && TraceParent.TryParse(values.FirstOrDefault(), out var sent)
            && caller is not null && sent.TraceId == caller.TraceId && sent.SpanId != caller.SpanId)
        {
            context.SetSpan(sent.SpanId.ToHexString());
        }
    }

    private bool RuntimePropagates()
    {
        if (AppContext.TryGetSwitch("System.Net.Http.EnableActivityPropagation", out var enabled) && !enabled)
        {
            return false;
        }

        var inner = InnerHandler;
        while (inner is DelegatingHandler delegating)
        {
            inner = delegating.InnerHandler;
        }

        return inner is HttpClientHandler or SocketsHttpHandler;
    }

    /// <summary>The URI without user info, and with the values of secret-looking query keys replaced.</summary>
    internal static string Describe(Uri uri)
    {
        if (!uri.IsAbsoluteUri)
        {
            return uri.ToString();
        }

        var text = new StringBuilder().Append(uri.Scheme).Append("://").Append(uri.Host);
        if (!uri.IsDefaultPort)
        {
            text.Append(':').Append(uri.Port);
        }

        text.Append(uri.AbsolutePath);
        if (uri.Query.Length > 1)
        {
            var parts = uri.Query[1..].Split('&').Select(part =>
            {
                var eq = part.IndexOf('=');
                var key = eq < 0 ? part : part[..eq];
                return eq >= 0 && SecretKeys.Any(s => key.Contains(s, StringComparison.OrdinalIgnoreCase)) ? key + "=[redacted]" : part;
            });
            text.Append('?').AppendJoin('&', parts);
        }

        return text.ToString();
    }
}
