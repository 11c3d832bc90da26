using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Oxbow.Daemon.Control;
using Oxbow.Receivers.Seq;
using Oxbow.Transport;

namespace Oxbow.Daemon.Receivers;

/// <summary>
/// Seq-compatible ingest on the control port, so <c>Serilog.Sinks.Seq</c> and seqcli send to Oxbow by changing their
/// server URL: <c>POST /api/events/raw</c> (CLEF with <c>Content-Type: application/vnd.serilog.clef</c>, else the
/// older <c>{"Events":[…]}</c> body) and <c>POST /ingest/clef</c>. The API key (<c>X-Seq-ApiKey</c>, <c>?apiKey=</c>,
/// or a bearer token) is an Oxbow token with its type scopes. Answers as Seq does: 201 when every event was stored;
/// 400 naming the first bad line when some were refused (each counted as an invalid event), the good ones stored.
/// </summary>
internal static class SeqHttp
{
    private const string ClefContentType = "application/vnd.serilog.clef";

    public static void Map(WebApplication app, ReceiverIntake intake)
    {
        app.MapPost("/api/events/raw", (Delegate)((HttpContext http) => IngestAsync(http, intake, http.Request.ContentType?.StartsWith(ClefContentType, StringComparison.OrdinalIgnoreCase) == true)));
        app.MapPost("/ingest/clef", (Delegate)((HttpContext http) => IngestAsync(http, intake, clef: true)));
    }

    private static async Task<IResult> IngestAsync(HttpContext http, ReceiverIntake intake, bool clef)
    {
        var key = http.Request.Headers["X-Seq-ApiKey"].ToString();
        if (key.Length == 0)
        {
            key = http.Request.Query["apiKey"].ToString();
        }

        var grant = key.Length > 0
            ? intake.Access.Authenticate(key, http.Connection.RemoteIpAddress)
            : ControlApi.Grant(http, intake.Access);
        if (grant is null)
        {
            intake.Pipeline.Stats.Reject(RejectReason.Unauthorized);
            return Error(401, "missing or unknown API key (X-Seq-ApiKey, ?apiKey= or Authorization: Bearer)");
        }

        var (body, refusal) = await ControlApi.ReadBodyAsync(http, intake.Pipeline).ConfigureAwait(false);
        if (refusal is not null)
        {
            return refusal;
        }

        using var pooled = body!;

        List<string> problems = [];
        Oxbow.Receivers.Events.ReceivedEvents events;
        try
        {
            var data = pooled.Memory;
            if (http.Request.Headers.ContentEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase))
            {
                data = intake.Pipeline.Gunzip(data.Span);
            }

            // A key scoped to exactly one type writes that type: one key per service keeps services apart.
            var mapping = grant.Scopes is [var only] && Oxbow.EventType.IsValid(only) ? intake.Clef with { Type = only } : intake.Clef;
            events = ClefEvents.Map(data, clef, mapping, problems);
        }
        catch (ProtocolException ex)
        {
            return Error(ex.Reason == RejectReason.FrameTooLarge ? 413 : 400, ex.Message);
        }
        catch (FormatException ex)
        {
            intake.Pipeline.Stats.Reject(RejectReason.MalformedFrame);
            return Error(400, ex.Message);
        }

        foreach (var _ in problems)
        {
            intake.Pipeline.Stats.Reject(RejectReason.InvalidEvent);
        }

        var outcome = await intake.AcceptAsync(events, grant).ConfigureAwait(false);
        if (outcome.Status != 200)
        {
            if (outcome.Retryable)
            {
                http.Response.Headers.RetryAfter = "1";
            }

            return Error(outcome.Status, outcome.Message ?? "refused");
        }

        return problems.Count > 0
            ? Error(400, $"{problems[0]} ({problems.Count} event(s) refused; the other {events.Events} were stored)")
            : Results.Text("{\"MinimumLevelAccepted\":null}\n", "application/json", statusCode: 201);
    }

    private static IResult Error(int status, string message) =>
        Results.Text($"{{\"Error\":{JsonSerializer.Serialize(message)}}}\n", "application/json", statusCode: status);
}
