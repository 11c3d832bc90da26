using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using Oxbow.Receivers.Events;

namespace Oxbow.Receivers.Otlp;

/// <summary>The two OTLP signals Oxbow stores.</summary>
internal enum OtlpSignal
{
    Logs,
    Traces,
}

/// <summary>An OTLP export body (protobuf or JSON) as events.</summary>
internal static class OtlpDecoder
{
    /// <exception cref="FormatException">The body is not this signal's export request; the text says why.</exception>
    public static ReceivedEvents Map(OtlpSignal signal, ReadOnlyMemory<byte> body, bool json, OtlpMapping mapping, DateTime arrivalUtc)
    {
        try
        {
            return signal == OtlpSignal.Logs
                ? json ? OtlpLogs.Map(OtlpJson.Parse<ExportLogsServiceRequest>(body.Span), mapping, arrivalUtc) : OtlpLogs.Map(body, mapping, arrivalUtc)
                : OtlpSpans.Map(json ? OtlpJson.Parse<ExportTraceServiceRequest>(body.Span) : ExportTraceServiceRequest.Parser.ParseFrom(body.Span), mapping, arrivalUtc);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new FormatException(ex.Message, ex);
        }
    }
}
