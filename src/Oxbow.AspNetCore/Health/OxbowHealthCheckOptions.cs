namespace Oxbow.AspNetCore.Health;

/// <summary>Thresholds of the Oxbow health check (<c>AddHealthChecks().AddOxbow()</c>).</summary>
public sealed class OxbowHealthCheckOptions
{
    /// <summary>How long a network sink may have events waiting without a connection before the check is unhealthy. Default: 30 seconds.</summary>
    public TimeSpan UnreachableAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The share of the queue's capacity in use at which the queue counts as saturated. Default: 0.9.</summary>
    public double SaturatedFraction { get; set; } = 0.9;
}
