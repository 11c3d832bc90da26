using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Oxbow.Daemon.WebConsole;

/// <summary>
/// The console's files, embedded in the daemon (no CDN, no web server, works offline): <c>/</c> is the page and
/// <c>/console/…</c> its script, styles and uPlot. Only the names below are served; a request names an entry in this
/// table, never a path. The page holds no data, so it is served without a token; the API calls it makes need one.
/// </summary>
internal static class ConsoleAssets
{
    private static readonly Dictionary<string, (string Resource, string ContentType)> Files = new(StringComparer.Ordinal)
    {
        ["index.html"] = ("console/index.html", "text/html; charset=utf-8"),
        ["app.js"] = ("console/app.js", "text/javascript; charset=utf-8"),
        ["app.css"] = ("console/app.css", "text/css; charset=utf-8"),
        ["uplot.js"] = ("console/uplot.js", "text/javascript; charset=utf-8"),
        ["uplot.css"] = ("console/uplot.css", "text/css; charset=utf-8"),
    };

    private static readonly Dictionary<string, byte[]> Contents = Files.ToDictionary(f => f.Key, f => Load(f.Value.Resource), StringComparer.Ordinal);

    private static byte[] Load(string resource)
    {
        using var stream = typeof(ConsoleAssets).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"the console asset {resource} is not embedded in {typeof(ConsoleAssets).Assembly.GetName().Name}");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public static void Map(WebApplication app)
    {
        app.MapGet("/", (HttpContext http) => Serve(http, "index.html"));
        app.MapGet("/console/{name}", (HttpContext http, string name) => Serve(http, name));
    }

    private static IResult Serve(HttpContext http, string name)
    {
        if (!Contents.TryGetValue(name, out var content))
        {
            return Results.NotFound();
        }

        var headers = http.Response.Headers;
        // The page runs only its own script and talks only to this daemon; it is never framed, and the token it
        // keeps is never in a URL or a referrer.
        headers.ContentSecurityPolicy = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";
        return Results.Bytes(content, Files[name].ContentType);
    }
}
