using System.Globalization;
using Oxbow;
using Oxbow.Rendering;

// A small application that shows what Oxbow emits. Until the collector exists this is the quick start's main job.
//
//   dotnet run --project src/Oxbow.Sample                      human console output
//   dotnet run --project src/Oxbow.Sample -- --json            canonical JSON lines
//   dotnet run --project src/Oxbow.Sample -- --emit N --file F N log events to a rolling file, then exit without
//                                                              flushing (the tests use this to prove exit drains)
var arguments = args.ToList();
if (arguments.IndexOf("--emit") is var emitAt and >= 0)
{
    var count = int.Parse(arguments[emitAt + 1], CultureInfo.InvariantCulture);
    var file = arguments[arguments.IndexOf("--file") + 1];
    Ox.Configure(o =>
    {
        o.App = "sample";
        o.QueueFullMode = QueueFullMode.Wait;
        o.WriteToFile(file, f => f.Interval = Oxbow.Sinks.RollInterval.Infinite);
    });
    for (var i = 0; i < count; i++)
    {
        Ox.Log.Info("tick", "n", i);
    }

    return 0; // No Flush: process exit must drain the queue.
}

Ox.Configure(o =>
{
    o.App = "sample";
    o.MinimumLevel = OxLevel.Debug;
    o.WriteToConsole(arguments.Contains("--json") ? new JsonRenderer() : null);
});

var log = Ox.GetLogger("checkout").Bind("region", "eu-west");
log.Info("service_started", "version", "1.0.0", "workers", 2);

for (var request = 1; request <= 3; request++)
{
    using (Ox.BindScope("request_number", request))
    using (Ox.Context("request"))
    {
        Ox.Set("method", "POST");
        Ox.Set("path", "/checkout");
        Ox.Set("user_agent", "curl/8.5.0");
        using (Ox.Time("request_time"))
        {
            using (Ox.Context(".db"))
            {
                Ox.Set("query", "SELECT * FROM baskets WHERE id = @id");
                using (Ox.Time("query_time"))
                {
                    await Task.Delay(5);
                }

                Ox.Set("rows", 3);
            }

            Ox.Add("cache.hits");
            Ox.Add("cache.hits");
            Ox.Set("password", "hunter2"); // redacted by default
            log.Debug("basket_loaded", "items", 3, "total", 42.5);
            if (request == 3)
            {
                try
                {
                    throw new InvalidOperationException("payment provider timed out");
                }
                catch (InvalidOperationException ex)
                {
                    log.Error(ex, "payment_failed", "provider", "acme");
                    Ox.Current?.Fail(ex);
                }
            }
        }

        Ox.Set("response.status", request == 3 ? 502 : 200);
        Ox.Set("response.size", 1234);
    }
}

Ox.Shutdown();
return 0;
