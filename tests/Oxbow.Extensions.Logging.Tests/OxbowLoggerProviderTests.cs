using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Oxbow.Extensions.Logging;
using Oxbow.Testing;

namespace Oxbow.Extensions.Logging.Tests;

public sealed partial class OxbowLoggerProviderTests : IDisposable
{
    private readonly ServiceProvider _services;
    private readonly ILogger _logger;

    public OxbowLoggerProviderTests()
    {
        _services = new ServiceCollection().AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddOxbow()).BuildServiceProvider();
        _logger = _services.GetRequiredService<ILoggerFactory>().CreateLogger("Shop.Checkout");
    }

    public void Dispose()
    {
        _services.Dispose();
        Ox.Shutdown();
    }

    [LoggerMessage(EventId = 42, EventName = "order_shipped", Level = LogLevel.Information, Message = "Order {OrderId} shipped to {Country}")]
    private static partial void OrderShipped(ILogger logger, int orderId, string country);

    [Fact]
    public void A_logger_message_call_becomes_an_event_with_category_level_id_template_message_and_typed_parameters()
    {
        using var capture = OxCapture.Start();
        OrderShipped(_logger, 1234, "NL");
        Ox.Flush();
        var e = Assert.Single(capture.Events);
        Assert.Equal("log", e.Type);
        Assert.Equal(OxLevel.Info, e.Level);
        Assert.Equal("order_shipped", e["event"]);
        Assert.Equal("Shop.Checkout", e["category"]);
        Assert.Equal(42L, Convert.ToInt64(e["event_id"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("Order {OrderId} shipped to {Country}", e["template"]);
        Assert.Equal("Order 1234 shipped to NL", e["message"]);
        Assert.Equal(1234L, Convert.ToInt64(e["OrderId"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("NL", e["Country"]);
    }

    [Fact]
    public void Inside_an_oxbow_context_the_event_is_a_log_sub_event_sharing_the_context_id()
    {
        using var capture = OxCapture.Start();
        string id;
        using (var request = Ox.Context("request"))
        {
            id = request.Id;
            _logger.LogWarning("Slow query took {Ms} ms", 812);
        }

        Ox.Flush();
        var log = capture.Single("request.log");
        Assert.Equal(id, log.Id);
        Assert.Equal(OxLevel.Warning, log.Level);
        Assert.Equal("Slow query took {Ms} ms", log["event"]);
        Assert.Equal(id, capture.Single("request").Id);
    }

    [Fact]
    public void Scopes_become_fields_and_the_calls_own_values_win_over_them()
    {
        using var capture = OxCapture.Start();
        using (_logger.BeginScope(new Dictionary<string, object?> { ["tenant"] = "acme", ["user"] = "scope-user" }))
        using (_logger.BeginScope("Processing batch {BatchId}", 7))
        using (_logger.BeginScope("plain text scope"))
        {
            _logger.LogInformation("Charged {user}", "call-user");
        }

        Ox.Flush();
        var e = Assert.Single(capture.Events);
        Assert.Equal("acme", e["tenant"]);
        Assert.Equal(7L, Convert.ToInt64(e["BatchId"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("call-user", e["user"]);
        Assert.Equal(["plain text scope"], Assert.IsType<List<object?>>(e["scopes"]).Select(s => (string?)s));
    }

    [Fact]
    public void An_exception_is_captured_as_structured_data()
    {
        using var capture = OxCapture.Start();
        try
        {
            throw new InvalidOperationException("card declined", new TimeoutException("gateway"));
        }
        catch (InvalidOperationException ex)
        {
            _logger.LogError(ex, "Payment failed for {OrderId}", 9);
        }

        Ox.Flush();
        var e = Assert.Single(capture.Events);
        Assert.Equal(OxLevel.Error, e.Level);
        Assert.Equal("System.InvalidOperationException", e["exception.type"]);
        Assert.Equal("card declined", e["exception.message"]);
        Assert.Equal("Payment failed for 9", e["message"]);
    }

    [Fact]
    public void Levels_map_onto_oxbow_levels_and_calls_below_the_minimum_are_dropped()
    {
        using var capture = OxCapture.Start(OxLevel.Info);
        _logger.LogTrace("trace");
        _logger.LogDebug("debug");
        _logger.LogInformation("info");
        _logger.LogCritical("critical");
        Ox.Flush();
        Assert.Equal([("info", OxLevel.Info), ("critical", OxLevel.Critical)], capture.Events.Select(e => ((string)e["event"]!, e.Level)));
        Assert.False(_logger.IsEnabled(LogLevel.None));
    }

    [Fact]
    public void A_generated_logger_message_below_the_minimum_level_allocates_nothing()
    {
        Ox.Configure(o =>
        {
            o.MinimumLevel = OxLevel.Warning;
            o.Sinks.Clear();
        });
        Assert.False(_logger.IsEnabled(LogLevel.Information));
        Assert.True(_logger.IsEnabled(LogLevel.Warning));
        for (var i = 0; i < 100; i++)
        {
            OrderShipped(_logger, i, "NL");
        }

        List<long> rounds = [];
        for (var round = 0; round < 5 && !rounds.Contains(0); round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 10_000; i++)
            {
                OrderShipped(_logger, i, "NL");
            }

            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Contains(0L, rounds);
        Ox.Flush();
        Assert.Equal(0, Ox.Stats.Enqueued);
    }

    [Fact]
    public void Without_oxbow_configured_nothing_is_enabled()
    {
        Ox.Shutdown();
        Assert.False(_logger.IsEnabled(LogLevel.Critical));
        _logger.LogCritical("nowhere");
    }
}
