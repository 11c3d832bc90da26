using Grpc.Core;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using Oxbow.Daemon.Control;
using Oxbow.Receivers.Events;
using Oxbow.Receivers.Otlp;
using Oxbow.Transport;

namespace Oxbow.Daemon.Receivers;

/// <summary>
/// OTLP/gRPC's logs service (<c>--otlp-grpc</c>), the .NET exporter's default protocol. Refusals map to gRPC codes
/// as OTLP says: Unauthenticated, PermissionDenied, InvalidArgument (not retryable), ResourceExhausted (disk full),
/// and Unavailable (full spool: retryable).
/// </summary>
internal sealed class OtlpLogsGrpc(ReceiverIntake intake) : LogsService.LogsServiceBase
{
    public override async Task<ExportLogsServiceResponse> Export(ExportLogsServiceRequest request, ServerCallContext context)
    {
        var outcome = await OtlpGrpc.AcceptAsync(intake, context, () => OtlpLogs.Map(request, intake.Mapping, DateTime.UtcNow)).ConfigureAwait(false);
        return new ExportLogsServiceResponse { PartialSuccess = outcome.Rejected == 0 ? null : new ExportLogsPartialSuccess { RejectedLogRecords = outcome.Rejected, ErrorMessage = outcome.Message ?? "" } };
    }
}

/// <summary>OTLP/gRPC's trace service; see <see cref="OtlpLogsGrpc"/>.</summary>
internal sealed class OtlpTraceGrpc(ReceiverIntake intake) : TraceService.TraceServiceBase
{
    public override async Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context)
    {
        var outcome = await OtlpGrpc.AcceptAsync(intake, context, () => OtlpSpans.Map(request, intake.Mapping, DateTime.UtcNow)).ConfigureAwait(false);
        return new ExportTraceServiceResponse { PartialSuccess = outcome.Rejected == 0 ? null : new ExportTracePartialSuccess { RejectedSpans = outcome.Rejected, ErrorMessage = outcome.Message ?? "" } };
    }
}

internal static class OtlpGrpc
{
    public static async Task<ReceiverOutcome> AcceptAsync(ReceiverIntake intake, ServerCallContext context, Func<ReceivedEvents> map)
    {
        var http = context.GetHttpContext();
        var grant = ControlApi.Grant(http, intake.Access);
        if (grant is null)
        {
            intake.Pipeline.Stats.Reject(RejectReason.Unauthorized);
            throw new RpcException(new Status(StatusCode.Unauthenticated, "missing or unknown token (authorization: Bearer …)"));
        }

        var outcome = await intake.AcceptAsync(map(), grant).ConfigureAwait(false);
        return outcome.Status switch
        {
            200 => outcome,
            403 => throw new RpcException(new Status(StatusCode.PermissionDenied, outcome.Message ?? "")),
            507 => throw new RpcException(new Status(StatusCode.ResourceExhausted, outcome.Message ?? "")),
            429 or 503 => throw new RpcException(new Status(StatusCode.Unavailable, outcome.Message ?? "")),
            _ => throw new RpcException(new Status(StatusCode.InvalidArgument, outcome.Message ?? "")),
        };
    }
}
