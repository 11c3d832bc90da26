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
    public static ReceivedEvents Map(OtlpSignal signal, ReadOnlySpan<byte> body, bool json, OtlpMapping mapping, DateTime arrivalUtc)
    {
        try
        {
            return signal == OtlpSignal.Logs
                ? OtlpLogs.Map(json ? OtlpJson.Parse<ExportLogsServiceRequest>(body) : ExportLogsServiceRequest.Parser.ParseFrom(body), mapping, arrivalUtc)
                : OtlpSpans.Map(json ? OtlpJson.Parse<ExportTraceServiceRequest>(body) : ExportTraceServiceRequest.Parser.ParseFrom(body), mapping, arrivalUtc);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new FormatException(ex.Message, ex);
        }
    }
}
