using System.Globalization;
using System.Net.Http;
using System.Text;
using System.Text.Json.Nodes;
using Oxbow.Daemon.Tests.Support;

namespace Oxbow.Console.Tests.Support;

/// <summary>
/// The events the console tests look at, timed in the last half hour so the default range ("last 1h") holds them:
/// 40 requests (three failing under /api, one failing elsewhere), one request by ann with its database and HTTP
/// parts, and a gateway span whose trace the ann request continues (two services in one trace).
/// </summary>
internal static class ConsoleData
{
    public const string AnnRequestId = "0190aaaa000000000000000000000a11";
    public const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    public const string GatewaySpan = "a0f067aa0ba902b7";
    public static readonly string[] FailingApiRequests = ["0190aaaa0000000000000000000000f1", "0190aaaa0000000000000000000000f2", "0190aaaa0000000000000000000000f3"];

    public static int Count => Lines().Count;

    public static List<string> Lines()
    {
        var now = DateTime.UtcNow;
        var baseTime = new DateTime(now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second, DateTimeKind.Utc).AddMinutes(-30);
        List<string> lines = [];
        string Time(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
        void Add(string type, string id, DateTime start, double ms, string level, string app, JsonObject body, string? trace = null, string? span = null)
        {
            var evt = new JsonObject
            {
                ["type"] = type,
                ["id"] = id,
                ["start"] = Time(start),
                ["end"] = Time(start.AddMilliseconds(ms)),
                ["level"] = level,
                ["app"] = app,
                ["host"] = app + "-1",
                ["body"] = body,
            };
            if (trace is not null)
            {
                evt["trace_id"] = trace;
                evt["span_id"] = span;
            }

            lines.Add(evt.ToJsonString());
        }

        for (var i = 0; i < 36; i++)
        {
            Add("request", $"0190aaaa{i:x24}", baseTime.AddSeconds(i * 40), 20 + i, "info", "orders",
                new JsonObject { ["path"] = i % 2 == 0 ? "/api/orders" : "/api/stock", ["status"] = 200, ["user"] = "user" + (i % 5), ["duration"] = 20 + i });
        }

        for (var i = 0; i < FailingApiRequests.Length; i++)
        {
            Add("request", FailingApiRequests[i], baseTime.AddMinutes(5 + i * 7), 500, "error", "orders",
                new JsonObject { ["path"] = "/api/pay", ["status"] = 503 - i, ["user"] = "bob", ["duration"] = 500, ["message"] = "upstream timed out" });
        }

        Add("request", "0190aaaa0000000000000000000000e9", baseTime.AddMinutes(9), 3, "error", "orders",
            new JsonObject { ["path"] = "/health", ["status"] = 500, ["user"] = "probe", ["duration"] = 3 });

        // A gateway span (service "gateway") calls orders: ann's request continues its trace.
        var annStart = baseTime.AddMinutes(20);
        Add("span", "0190aaaa00000000000000000000057a", annStart.AddMilliseconds(-5), 130, "info", "gateway",
            new JsonObject { ["name"] = "GET /orders/77", ["kind"] = "server" }, TraceId, GatewaySpan);
        Add("request", AnnRequestId, annStart, 120, "info", "orders",
            new JsonObject { ["path"] = "/api/orders/77", ["status"] = 200, ["user"] = "ann", ["duration"] = 120, ["parent_span_id"] = GatewaySpan }, TraceId, "00f067aa0ba902b7");
        Add("request.db", AnnRequestId, annStart.AddMilliseconds(10), 35, "info", "orders", new JsonObject { ["sql"] = "SELECT * FROM orders WHERE id = $1", ["duration"] = 35, ["rows"] = 1 });
        Add("request.httpclient", AnnRequestId, annStart.AddMilliseconds(50), 60, "warn", "orders", new JsonObject { ["url"] = "http://stock/77", ["status"] = 200, ["duration"] = 60, ["retries"] = 1 });
        return lines;
    }

    /// <summary>Sends NDJSON lines through <c>POST /v1/events</c>.</summary>
    public static async Task SendAsync(DaemonProcess daemon, IEnumerable<string> lines, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/events") { Content = new StringContent(string.Join('\n', lines) + "\n", Encoding.UTF8, "application/x-ndjson") };
        if (token is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await daemon.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
    }

    /// <summary>A collector holding <see cref="Lines"/>, queryable.</summary>
    public static async Task SeedAsync(DaemonProcess daemon)
    {
        var lines = Lines();
        await SendAsync(daemon, lines);
        await daemon.WaitForRowsAsync("SELECT id, type FROM events", lines.Count);
    }
}
