using System.Globalization;
using System.Text.Json;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;

namespace Oxbow.Receivers.Otlp;

/// <summary>
/// What a resource says about where events came from: <c>service.name</c> is the app, <c>host.name</c> the host,
/// <c>process.pid</c> the pid, and the other attributes go into a <c>resource</c> object on each event.
/// </summary>
internal sealed class OtlpResource
{
    private static readonly HashSet<string> Envelope = ["service.name", "host.name", "process.pid"];

    public string? App { get; }

    public string? Host { get; }

    public long? Pid { get; }

    private readonly Events.FieldTree<AnyValue> _rest;

    public OtlpResource(Resource? resource)
    {
        var attributes = resource?.Attributes ?? [];
        App = OtlpValues.String(attributes, "service.name");
        Host = OtlpValues.String(attributes, "host.name");
        Pid = long.TryParse(OtlpValues.String(attributes, "process.pid"), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        _rest = OtlpValues.Fields(attributes, Envelope.Contains);
    }

    /// <summary>Writes <c>"resource": {…}</c> (nothing when no other attribute) and <c>"scope"</c> when named.</summary>
    public void WriteFields(Utf8JsonWriter json, InstrumentationScope? scope)
    {
        if (_rest.Count > 0)
        {
            json.WritePropertyName("resource"u8);
            json.WriteStartObject();
            _rest.WriteProperties(json, OtlpValues.WriteValue);
            json.WriteEndObject();
        }

        if (!string.IsNullOrEmpty(scope?.Name))
        {
            json.WriteString("scope"u8, scope.Name);
        }
    }
}
