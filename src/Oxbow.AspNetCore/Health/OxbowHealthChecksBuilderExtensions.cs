using Microsoft.Extensions.Diagnostics.HealthChecks;
using Oxbow.AspNetCore.Health;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary><c>builder.Services.AddHealthChecks().AddOxbow()</c>.</summary>
public static class OxbowHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check of the global Oxbow pipeline named <paramref name="name"/>: unhealthy when its queue is saturated or
    /// an upstream collector has been unreachable with events waiting beyond
    /// <see cref="OxbowHealthCheckOptions.UnreachableAfter"/>; degraded when events were dropped since the previous check.
    /// </summary>
    public static IHealthChecksBuilder AddOxbow(this IHealthChecksBuilder builder, Action<OxbowHealthCheckOptions>? configure = null, string name = "oxbow", IEnumerable<string>? tags = null)
    {
        var options = new OxbowHealthCheckOptions();
        configure?.Invoke(options);
        var check = new OxbowHealthCheck(options, TimeProvider.System);
        return builder.Add(new HealthCheckRegistration(name, check, failureStatus: null, tags));
    }
}
