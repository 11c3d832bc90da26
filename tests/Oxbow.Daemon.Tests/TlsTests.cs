using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Oxbow.Daemon.Tests.Support;
using Oxbow.Transport;

namespace Oxbow.Daemon.Tests;

public sealed class TlsTests
{
    /// <summary>A self-signed certificate for 127.0.0.1, written as PEM files the daemon reads.</summary>
    private static (string CertPath, string KeyPath, X509Certificate2 Certificate) SelfSigned(string directory, string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        Directory.CreateDirectory(directory);
        var certPath = Path.Combine(directory, name + ".crt");
        var keyPath = Path.Combine(directory, name + ".key");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath, X509CertificateLoader.LoadCertificate(certificate.RawData));
    }

    [Fact]
    public async Task A_client_that_pins_the_collectors_certificate_delivers_over_tls_and_an_agent_forwards_over_tls()
    {
        using var dir = new TempDirectory();
        var (certPath, keyPath, certificate) = SelfSigned(dir.Sub("pki"), "collector");
        await using var collector = new DaemonProcess(dir.Sub("collector"), "--tls-cert", certPath, "--tls-key", keyPath);
        await collector.StartAsync();

        await using (var direct = new BatchSender(new BatchSenderOptions { Endpoints = [collector.Ingest], UseTls = true, TrustedCertificate = certificate, Compress = true }))
        {
            var outcome = await direct.SendAsync(new OutgoingBatch(BatchId.New(), 100, StoredEvents.Events(0, 100))).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(outcome.Acknowledged);
        }

        await using var agent = new DaemonProcess(dir.Sub("agent"), "--forward", collector.Ingest, "--forward-tls-cert", certPath);
        await agent.StartAsync();
        await using var app = new BatchSender(new BatchSenderOptions { Endpoints = [agent.Ingest] });
        Assert.True((await app.SendAsync(new OutgoingBatch(BatchId.New(), 200, StoredEvents.Events(100, 300))).WaitAsync(TimeSpan.FromSeconds(60))).Acknowledged);

        await collector.WaitForStatAsync(300, "store", "events");
        await agent.WaitForStatAsync(0, "spool", "pending_events");
    }

    [Fact]
    public async Task A_tls_port_refuses_plain_frames_and_a_client_pinning_another_certificate_never_delivers()
    {
        using var dir = new TempDirectory();
        var (certPath, keyPath, _) = SelfSigned(dir.Sub("pki"), "collector");
        var (_, _, stranger) = SelfSigned(dir.Sub("pki"), "stranger");
        await using var collector = new DaemonProcess(dir.Sub("collector"), "--tls-cert", certPath, "--tls-key", keyPath);
        await collector.StartAsync();

        // Plain protocol bytes on the TLS port: the handshake fails and no WELCOME ('O','X', type 2) ever comes back.
        var bytes = await RawConnection.ExchangeAsync(collector.IngestPort, Frames.Hello(new HelloMessage(Protocol.Version, Protocol.Version, "", "plain")));
        Assert.False(bytes.Length >= 3 && bytes[0] == 'O' && bytes[1] == 'X' && bytes[2] == (byte)FrameType.Welcome);

        await using var wrongPin = new BatchSender(new BatchSenderOptions
        {
            Endpoints = [collector.Ingest],
            UseTls = true,
            TrustedCertificate = stranger,
            MinBackoff = TimeSpan.FromMilliseconds(20),
            MaxBackoff = TimeSpan.FromMilliseconds(100),
        });
        var send = wrongPin.SendAsync(new OutgoingBatch(BatchId.New(), 10, StoredEvents.Events(0, 10)));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (wrongPin.Status.LastError is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Contains("certificate", wrongPin.Status.LastError, StringComparison.OrdinalIgnoreCase);
        Assert.False(send.IsCompleted);
        Assert.Equal(0, await collector.StatAsync("spool", "appended_events"));
    }

    [Fact]
    public async Task With_tls_configured_the_control_port_serves_https_only_and_the_cli_pins_the_certificate()
    {
        using var dir = new TempDirectory();
        var (certPath, keyPath, _) = SelfSigned(dir.Sub("pki"), "collector");
        var tokens = dir.Sub("tokens");
        await File.WriteAllTextAsync(tokens, "admin adm1n\n");
        await using var collector = new DaemonProcess(dir.Sub("collector"), "--tls-cert", certPath, "--tls-key", keyPath, "--token-file", tokens);
        await collector.StartAsync(); // over https, pinned

        // Plain HTTP to the control port gets no HTTP answer: bearer tokens never cross it in clear text.
        using (var plain = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{collector.ControlPort}/"), Timeout = TimeSpan.FromSeconds(30) })
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => plain.GetAsync("healthz"));
        }

        var status = await CliTests.Oxbow("ctl", "status", "--control", $"https://127.0.0.1:{collector.ControlPort}", "--control-cert", certPath, "--token", "adm1n");
        Assert.True(status.Code == 0, status.Output);
        Assert.Contains("collector", status.Output);
        var unpinned = await CliTests.Oxbow("ctl", "status", "--control", $"https://127.0.0.1:{collector.ControlPort}", "--token", "adm1n");
        Assert.Equal(1, unpinned.Code); // a self-signed certificate is not trusted without the pin
    }
}
