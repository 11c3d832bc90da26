using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using Oxbow.Daemon.Control;
using Oxbow.Receivers.Events;
using Oxbow.Receivers.Otlp;
using Oxbow.Transport;

namespace Oxbow.Daemon.Receivers;

/// <summary>
/// OTLP/HTTP on its own listener (<c>--otlp</c>): <c>POST /v1/logs</c> and <c>POST /v1/traces</c> with
/// <c>application/x-protobuf</c> or <c>application/json</c> bodies, gzip allowed. Answers follow OTLP 1.x: 200 with
/// the service response (partial success when some records were refused alone), 400 for a body that cannot be
/// read, 415 for another content type, 429 or 503 with <c>Retry-After</c> when the collector is full, and errors as a
/// <c>google.rpc.Status</c> in the request's encoding.
/// </summary>
internal static class OtlpHttp
{
    public static void Map(Microsoft.AspNetCore.Builder.WebApplication app, ReceiverIntake intake, int port)
    {
        app.MapPost("/v1/logs", (Delegate)((HttpContext http) => ExportAsync(http, intake, OtlpSignal.Logs))).AddEndpointFilter(OnPort(port));
        app.MapPost("/v1/traces", (Delegate)((HttpContext http) => ExportAsync(http, intake, OtlpSignal.Traces))).AddEndpointFilter(OnPort(port));
    }

    /// <summary>The OTLP paths answer only on the OTLP listener (the control port has its own <c>/v1/…</c>).</summary>
    private static Func<EndpointFilterInvocationContext, EndpointFilterDelegate, ValueTask<object?>> OnPort(int port) =>
        (context, next) => context.HttpContext.Connection.LocalPort == port ? next(context) : ValueTask.FromResult<object?>(Results.NotFound());

    private static async Task ExportAsync(HttpContext http, ReceiverIntake intake, OtlpSignal signal)
    {
        var contentType = http.Request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        var json = contentType == "application/json";
        if (!json && contentType != "application/x-protobuf")
        {
            intake.Pipeline.Stats.Reject(RejectReason.MalformedFrame);
            await WriteStatusAsync(http, 415, "OTLP/HTTP takes application/x-protobuf or application/json", json: false).ConfigureAwait(false);
            return;
        }

        var grant = ControlApi.Grant(http, intake.Access);
        if (grant is null)
        {
            intake.Pipeline.Stats.Reject(RejectReason.Unauthorized);
            await WriteStatusAsync(http, 401, "missing or unknown token (Authorization: Bearer …)", json).ConfigureAwait(false);
            return;
        }

        var (body, refusal) = await ControlApi.ReadBodyAsync(http, intake.Pipeline).ConfigureAwait(false);
        if (refusal is not null)
        {
            await refusal.ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        using var pooled = body!;

        ReceivedEvents events;
        try
        {
            var data = pooled.Memory;
            if (http.Request.Headers.ContentEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase))
            {
                data = intake.Pipeline.Gunzip(data.Span);
            }

            events = OtlpDecoder.Map(signal, data, json, intake.Mapping, DateTime.UtcNow);
        }
        catch (ProtocolException ex)
        {
            await WriteStatusAsync(http, ex.Reason == RejectReason.FrameTooLarge ? 413 : 400, ex.Message, json).ConfigureAwait(false);
            return;
        }
        catch (FormatException ex)
        {
            intake.Pipeline.Stats.Reject(RejectReason.MalformedFrame);
            await WriteStatusAsync(http, 400, $"not an OTLP {signal.ToString().ToLowerInvariant()} export: {ex.Message}", json).ConfigureAwait(false);
            return;
        }

        var outcome = await intake.AcceptAsync(events, grant).ConfigureAwait(false);
        if (outcome.Status != 200)
        {
            if (outcome.Retryable)
            {
                http.Response.Headers.RetryAfter = "1";
            }

            await WriteStatusAsync(http, outcome.Status, outcome.Message ?? "refused", json).ConfigureAwait(false);
            return;
        }

        IMessage response = signal == OtlpSignal.Logs
            ? new ExportLogsServiceResponse { PartialSuccess = outcome.Rejected == 0 ? null : new ExportLogsPartialSuccess { RejectedLogRecords = outcome.Rejected, ErrorMessage = outcome.Message ?? "" } }
            : new ExportTraceServiceResponse { PartialSuccess = outcome.Rejected == 0 ? null : new ExportTracePartialSuccess { RejectedSpans = outcome.Rejected, ErrorMessage = outcome.Message ?? "" } };
        await WriteAsync(http, 200, response, json).ConfigureAwait(false);
    }

    /// <summary>An error as <c>google.rpc.Status</c> (code 0 with the message: OTLP/HTTP reads the HTTP status).</summary>
    private static Task WriteStatusAsync(HttpContext http, int status, string message, bool json) =>
        WriteAsync(http, status, new Oxbow.Receivers.Rpc.Status { Message = message }, json);

    private static async Task WriteAsync(HttpContext http, int status, IMessage message, bool json)
    {
        http.Response.StatusCode = status;
        if (json)
        {
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(JsonFormatter.Default.Format(message)).ConfigureAwait(false);
        }
        else
        {
            http.Response.ContentType = "application/x-protobuf";
            await http.Response.Body.WriteAsync(message.ToByteArray()).ConfigureAwait(false);
        }
    }
}
