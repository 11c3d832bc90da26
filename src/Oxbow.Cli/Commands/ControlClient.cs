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

    public static readonly Option<string> ControlCertificate = new("--control-cert")
    {
        Description = "PEM certificate to trust (pin) for an https:// control address (default $OXBOW_CONTROL_CERT; else the system store)",
    };

    public static void AddTo(Command command)
    {
        command.Options.Add(Control);
        command.Options.Add(Token);
        command.Options.Add(ControlCertificate);
    }

    /// <summary>A client for the control port at <paramref name="address"/> (default the option, $OXBOW_CONTROL, then 127.0.0.1:3513).</summary>
    /// <param name="parse">The command line.</param>
    /// <param name="timeout">Per request; default 30 s.</param>
    /// <param name="address"><c>host:port</c> (plain HTTP) or an <c>http://</c> or <c>https://</c> URL.</param>
    /// <param name="pinned">A PEM certificate to trust for https, when the option and $OXBOW_CONTROL_CERT name none.</param>
    public static HttpClient Create(ParseResult parse, TimeSpan? timeout = null, string? address = null, string? pinned = null)
    {
        address ??= parse.GetValue(Control) ?? Environment.GetEnvironmentVariable("OXBOW_CONTROL") ?? "127.0.0.1:3513";
        var url = address.Contains("://", StringComparison.Ordinal) ? address.TrimEnd('/') + "/" : $"http://{address}/";
        var certificate = parse.GetValue(ControlCertificate) ?? Environment.GetEnvironmentVariable("OXBOW_CONTROL_CERT") ?? pinned;
        var handler = new HttpClientHandler();
        if (certificate is not null)
        {
            // Pinned: exactly this certificate is trusted (a self-signed one works), whatever the system store says.
            var trusted = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(certificate);
            handler.ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented is not null && presented.RawData.AsSpan().SequenceEqual(trusted.RawData);
        }

        var client = new HttpClient(handler) { BaseAddress = new Uri(url), Timeout = timeout ?? TimeSpan.FromSeconds(30) };
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
