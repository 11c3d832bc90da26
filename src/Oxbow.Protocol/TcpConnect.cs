using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Oxbow.Transport;

/// <summary>Opens a TCP connection, optionally wrapped in TLS, within a time limit: shared by every client-side sender.</summary>
internal static class TcpConnect
{
    /// <summary>
    /// Connects to <paramref name="host"/>:<paramref name="port"/>. With TLS, a <paramref name="trusted"/> certificate
    /// is pinned (its hash must match, so a self-signed one works); without it the system store decides.
    /// </summary>
    public static async Task<(TcpClient Client, Stream Stream)> OpenAsync(
        string host, int port, bool useTls, X509Certificate2? trusted, string? serverName, TimeSpan timeout, CancellationToken token)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(token);
        limit.CancelAfter(timeout);
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(host, port, limit.Token).ConfigureAwait(false);
            Stream stream = client.GetStream();
            if (useTls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = serverName ?? host,
                    RemoteCertificateValidationCallback = trusted is null
                        ? null
                        : (_, certificate, _, _) => certificate is not null && certificate.GetCertHash().AsSpan().SequenceEqual(trusted.GetCertHash()),
                }, limit.Token).ConfigureAwait(false);
            }

            return (client, stream);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }
}
