using System.Net;
using System.Text;
using Oxbow.Daemon.Tests.Support;
using Serilog;

namespace Oxbow.Daemon.Tests;

public sealed class SeqTests
{
    private static async Task<DaemonProcess> StartAsync(TempDirectory dir)
    {
        var tokens = Path.Combine(dir.Path, "tokens");
        // A Seq API key is an Oxbow token: this one may write only the type "shop", so its events are of that type.
        await File.WriteAllTextAsync(tokens, "admin adm1n\ningest sh0pkey shop\ningest anyk3y *\n");
        var collector = new DaemonProcess(dir.Sub("data"), "--token-file", tokens);
        await collector.StartAsync();
        return collector;
    }

    [Fact]
    public async Task Serilog_sinks_seq_pointed_at_the_collector_with_an_api_key_delivers_events_properties_exceptions_and_levels_exactly()
    {
        using var dir = new TempDirectory();
        await using var collector = await StartAsync(dir);
        using (var log = new LoggerConfiguration()
            .MinimumLevel.Verbose()
            .Enrich.WithProperty("Application", "shop")
            .Enrich.WithProperty("MachineName", "web1")
            .WriteTo.Seq($"http://127.0.0.1:{collector.ControlPort}", apiKey: "sh0pkey")
            .CreateLogger())
        {
            log.Information("Order {OrderId} shipped to {Country}", 42, "UK");
            log.Warning("Cart {@Cart} held for {Minutes} minutes", new { Items = 3, Total = 9.5 }, 15);
            log.Error(new InvalidOperationException("boom", new ArgumentException("bad id")), "Order {OrderId} failed", 43);
            log.Verbose("Trace {OrderId}", 44);
        }

        var rows = await collector.WaitForRowsAsync("SELECT level, app, host, message, template, OrderId, Country, Cart.Items AS items, Cart.Total AS total, Minutes FROM shop ORDER BY \"end\"", 4);
        Assert.Equal(
            "level,app,host,message,template,OrderId,Country,items,total,Minutes\r\n" +
            "info,shop,web1,\"Order 42 shipped to \"\"UK\"\"\",Order {OrderId} shipped to {Country},42,UK,,,\r\n" +
            "warning,shop,web1,\"Cart { Items: 3, Total: 9.5 } held for 15 minutes\",Cart {@Cart} held for {Minutes} minutes,,,3,9.5,15\r\n" +
            "error,shop,web1,Order 43 failed,Order {OrderId} failed,43,,,,\r\n" +
            "trace,shop,web1,Trace 44,Trace {OrderId},44,,,,\r\n", rows);
        var (_, exception) = await collector.QueryAsync(
            "SELECT exception.type, exception.message, exception.inner[1].type AS inner_type, exception.inner[1].message AS inner_message FROM shop WHERE OrderId = 43");
        Assert.Equal("type,message,inner_type,inner_message\r\nSystem.InvalidOperationException,boom,System.ArgumentException,bad id\r\n", exception);
    }

    [Fact]
    public async Task Raw_clef_with_bad_lines_stores_the_good_lines_answers_400_naming_the_first_bad_one_and_counts_each()
    {
        using var dir = new TempDirectory();
        await using var collector = await StartAsync(dir);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{collector.ControlPort}/") };
        var now = DateTime.UtcNow.ToString("O");
        var clef = string.Join('\n',
            $"{{\"@t\":\"{now}\",\"@mt\":\"Hello {{Name}}\",\"Name\":\"ann\",\"@@odd\":1,\"@tr\":\"4BF92F3577B34DA6A3CE929D0E0E4736\",\"@sp\":\"00f067aa0ba902b7\",\"@i\":\"a1b2c3d4\"}}",
            "{\"@mt\":\"no time\"}",
            "not json",
            $"{{\"@t\":\"{now}\",\"@l\":\"Fatal\",\"@m\":\"given\",\"http.status\":500}}");

        using (var request = new HttpRequestMessage(HttpMethod.Post, "ingest/clef?apiKey=anyk3y") { Content = new StringContent(clef, Encoding.UTF8, "application/vnd.serilog.clef") })
        using (var answer = await client.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
            Assert.Equal("{\"Error\":\"line 2: @t (the event\\u0027s time) is missing (2 event(s) refused; the other 2 were stored)\"}\n", await answer.Content.ReadAsStringAsync());
        }

        var rows = await collector.WaitForRowsAsync("SELECT level, message, Name, \"@odd\" AS odd, trace_id, span_id, event_id, http.status AS status FROM log ORDER BY message", 2);
        Assert.Equal("level,message,Name,odd,trace_id,span_id,event_id,status\r\n" +
            "info,\"Hello \"\"ann\"\"\",ann,1,4bf92f3577b34da6a3ce929d0e0e4736,00f067aa0ba902b7,a1b2c3d4,\r\n" +
            "critical,given,,,,,,500\r\n", rows);
        Assert.Equal(2, (await collector.StatsAsync()).GetProperty("rejects").GetProperty("invalid_event").GetInt64());

        using (var request = new HttpRequestMessage(HttpMethod.Post, "api/events/raw") { Content = new StringContent("{\"Events\":[]}", Encoding.UTF8, "application/json") })
        {
            request.Headers.Add("X-Seq-ApiKey", "wrong");
            using var answer = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
        }

        // The older body, with the key in its header: a success answers as Seq does.
        using (var request = new HttpRequestMessage(HttpMethod.Post, "api/events/raw")
        {
            Content = new StringContent($"{{\"Events\":[{{\"Timestamp\":\"{now}\",\"Level\":\"Warning\",\"MessageTemplate\":\"Disk {{Disk}} at {{Percent}}%\",\"Properties\":{{\"Disk\":\"sda\",\"Percent\":91}}}}]}}", Encoding.UTF8, "application/json"),
        })
        {
            request.Headers.Add("X-Seq-ApiKey", "sh0pkey");
            using var answer = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Created, answer.StatusCode);
        }

        var old = await collector.WaitForRowsAsync("SELECT level, message, Disk, Percent FROM shop", 1);
        Assert.Equal("level,message,Disk,Percent\r\nwarning,\"Disk \"\"sda\"\" at 91%\",sda,91\r\n", old);
    }
}
