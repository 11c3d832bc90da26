using System.CommandLine;
using System.Net.Http.Headers;

namespace Oxbow.Cli.Commands;

/// <summary>The control-port address and token shared by tail, ctl and send.</summary>
internal static class ControlClient
{
    public static readonly Option<string> Control = new("--control")
    {
        Description = "control address host:port (default $OXBOW_CONTROL or 127.0.0.1:3513)",
    };

    public static readonly Option<string> Token = new("--token")
    {
        Description = "token (default $OXBOW_TOKEN; not needed on loopback without a token file)",
    };

    public static void AddTo(Command command)
    {
        command.Options.Add(Control);
        command.Options.Add(Token);
    }

    public static HttpClient Create(ParseResult parse, TimeSpan? timeout = null)
    {
        var address = parse.GetValue(Control) ?? Environment.GetEnvironmentVariable("OXBOW_CONTROL") ?? "127.0.0.1:3513";
        var client = new HttpClient { BaseAddress = new Uri($"http://{address}/"), Timeout = timeout ?? TimeSpan.FromSeconds(30) };
        var token = parse.GetValue(Token) ?? Environment.GetEnvironmentVariable("OXBOW_TOKEN");
        if (!string.IsNullOrEmpty(token))
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>Runs a call, turning transport failures and error replies into one line and exit code 1.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (HttpRequestException ex)
        {
            return Fail($"cannot reach the daemon: {ex.Message}");
        }
        catch (TaskCanceledException)
        {
            return Fail("the daemon did not answer in time");
        }
    }

    public static async Task<int> CheckAsync(HttpResponseMessage response)
    {
        if (response.IsSuccessStatusCode)
        {
            return 0;
        }

        var body = (await response.Content.ReadAsStringAsync()).Trim();
        return Fail($"{(int)response.StatusCode} {response.ReasonPhrase}: {body}");
    }

    public static int Fail(string message)
    {
        Console.Error.WriteLine("oxbow: " + message);
        return 1;
    }
}
