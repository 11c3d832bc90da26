namespace Oxbow.AspNetCore;

/// <summary>Options of <see cref="OxbowRequestMiddleware"/>.</summary>
public sealed class OxbowRequestOptions
{
    /// <summary>The event type of each request. Default <c>request</c>.</summary>
    public string EventType { get; set; } = "request";

    /// <summary>
    /// Request headers recorded under <c>headers.&lt;name&gt;</c> (lower-case). Default <c>Referer</c>,
    /// <c>Accept-Language</c>, <c>Content-Type</c>. <c>Authorization</c>, <c>Cookie</c> and <c>Proxy-Authorization</c>
    /// are never recorded, even when listed.
    /// </summary>
    public ISet<string> Headers { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "Referer", "Accept-Language", "Content-Type" };

    /// <summary>
    /// Take the client IP from the first <c>X-Forwarded-For</c> address. Default false: the connection's address,
    /// since the header is set by whoever sends the request unless a proxy you trust rewrites it.
    /// </summary>
    public bool TrustForwardedHeaders { get; set; }

    /// <summary>The application's version, recorded as <c>app_version</c>. Default the entry assembly's informational version.</summary>
    public string? AppVersion { get; set; } = System.Reflection.Assembly.GetEntryAssembly()
        ?.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
        .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion;

    /// <summary>The response header that carries the request's trace back (W3C Trace Context level 2). Default <c>traceresponse</c>.</summary>
    public string ResponseHeader { get; set; } = "traceresponse";
}
