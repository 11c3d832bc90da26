using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Oxbow.Codec;
using Oxbow.Sinks;
using Oxbow.Sinks.Syslog;
using Oxbow.Syslog.Tests.Support;

namespace Oxbow.Syslog.Tests;

/// <summary>Oxbow's syslog sink checked by a real rsyslog that parses the CEE payload with mmjsonparse.</summary>
public sealed class SyslogSinkTests : IDisposable
{
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string SpanId = "00f067aa0ba902b7";
    private readonly TempDirectory _dir = new();

    private static OxbowEvent PostcodeSearch(DateTime end)
    {
        var e = new OxbowEvent
        {
            Id = "0123456789abcdef0123456789abcdef",
            Type = "postcode_search",
            Start = end.AddMilliseconds(-250),
            End = end,
            Level = OxLevel.Warning,
            Host = "web-1",
            Pid = 4242,
            App = "shop",
            TraceId = TraceId,
            SpanId = SpanId,
        };
        e.Body.Set("postcode", "SW1A 1AA");
        e.Body.Set("product", "tax");
        e.Body.Set("note", "say \"hi\" ] \\ done");
        e.Body.Set("city", "Zürich");
        e.Body.Set("response.status", 200L);
        return e;
    }

    private static void Send(IEventSink sink, params OxbowEvent[] events)
    {
        var text = string.Concat(events.Select(e => CanonicalJson.ToJson(e) + "\n"));
        sink.Emit(new EventBatch(Encoding.UTF8.GetBytes(text), events.Length));
    }

    private static string RulesetWritingFields(string inputs) => $$"""
        module(load="mmjsonparse")
        {{inputs}}
        ruleset(name="parse") {
          action(type="mmjsonparse")
          set $.parsed = $parsesuccess;
          action(type="omfile" file="{OUT}" template="fields")
        }
        """;

    private async Task<Rsyslog> StartRsyslogAsync(string inputs, string globalSettings = "")
    {
        var config = RulesetWritingFields(inputs).Replace("{OUT}", Path.Combine(_dir.Path, "received.log"), StringComparison.Ordinal);
        return await Rsyslog.StartAsync(_dir.Path, config, globalSettings);
    }

    private Task<Rsyslog> StartUdpRsyslogAsync(int port) => StartRsyslogAsync($"""
        module(load="imudp")
        input(type="imudp" port="{port}" address="127.0.0.1" ruleset="parse")
        """);

    private static (string[] Columns, JsonElement Fields) Split(string line)
    {
        var columns = line.Split('\t');
        Assert.Equal(8, columns.Length);
        using var json = JsonDocument.Parse(columns[7]);
        return (columns, json.RootElement.Clone());
    }

    [Fact]
    public async Task Rfc5424_over_TCP_arrives_with_its_header_structured_data_and_every_CEE_field_parsed_by_rsyslog()
    {
        var port = DaemonProcess.FreePort();
        using var rsyslog = await StartRsyslogAsync($"""input(type="imtcp" port="{port}" address="127.0.0.1" ruleset="parse")""");
        var india = TimeZoneInfo.CreateCustomTimeZone("IST", TimeSpan.FromHours(5.5), "IST", "IST");
        var options = new SyslogSinkOptions { Port = port, Transport = SyslogTransport.Tcp, TimeZone = india };
        options.StructuredDataFields.Add("note");
        var end = new DateTime(2026, 11, 22, 9, 30, 5, DateTimeKind.Utc).AddTicks(1_234_560);
        using (var sink = new SyslogSink(options))
        {
            Send(sink, PostcodeSearch(end));
            Assert.Equal(new SyslogSinkStats(1, 0, 0), sink.Stats);
        }

        var (columns, fields) = Split((await rsyslog.ReceivedAsync(1))[0]);
        Assert.Equal("OK", columns[0]);
        Assert.Equal("2026-11-22T15:00:05.123456+05:30", columns[1]);
        Assert.Equal(["web-1", "shop", "4242", "postcode_search"], columns[2..6]);
        Assert.Equal(
            $"[oxbow@32473 id=\"0123456789abcdef0123456789abcdef\" type=\"postcode_search\" level=\"warning\" trace_id=\"{TraceId}\" span_id=\"{SpanId}\" note=\"say \\\"hi\\\" \\] \\\\ done\"]",
            columns[6]);
        Assert.Equal("2026-11-22T15:00:05.123456+05:30", fields.GetProperty("time").GetString());
        Assert.Equal("SW1A 1AA", fields.GetProperty("postcode").GetString());
        Assert.Equal("tax", fields.GetProperty("product").GetString());
        Assert.Equal("say \"hi\" ] \\ done", fields.GetProperty("note").GetString());
        Assert.Equal("Zürich", fields.GetProperty("city").GetString());
        Assert.Equal(200, fields.GetProperty("response").GetProperty("status").GetInt32());
        Assert.Equal(TraceId, fields.GetProperty("trace_id").GetString());
        Assert.Equal("warning", fields.GetProperty("level").GetString());
        Assert.Equal(12, fields.GetProperty("pri").GetInt32()); // user (1) × 8 + warning (4)
        Assert.Equal(0.25, fields.GetProperty("duration").GetDouble());
    }

    [Fact]
    public async Task Rfc3164_over_UDP_arrives_with_tag_pid_and_the_CEE_fields_parsed_by_rsyslog()
    {
        var port = DaemonProcess.FreePort();
        using var rsyslog = await StartUdpRsyslogAsync(port);
        // RFC 3164 has no year: use the current second so rsyslog's year guess is right.
        var now = DateTime.UtcNow;
        var end = new DateTime(now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second, DateTimeKind.Utc);
        using (var sink = new SyslogSink(new SyslogSinkOptions { Port = port, Format = SyslogFormat.Rfc3164 }))
        {
            Send(sink, PostcodeSearch(end));
            Assert.Equal(new SyslogSinkStats(1, 0, 0), sink.Stats);
        }

        var (columns, fields) = Split((await rsyslog.ReceivedAsync(1))[0]);
        Assert.Equal("OK", columns[0]);
        // 3164 carries wall-clock time only; the sink wrote it in UTC, its default zone.
        Assert.Equal(end.ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), columns[1][..19]);
        Assert.Equal(["web-1", "shop", "4242"], columns[2..5]);
        Assert.Equal("SW1A 1AA", fields.GetProperty("postcode").GetString());
        Assert.Equal("Zürich", fields.GetProperty("city").GetString());
        Assert.Equal("0123456789abcdef0123456789abcdef", fields.GetProperty("id").GetString());
    }

    [Fact]
    public async Task An_event_too_big_for_a_datagram_loses_fields_from_its_end_but_stays_valid_CEE_that_rsyslog_parses()
    {
        var port = DaemonProcess.FreePort();
        using var rsyslog = await StartUdpRsyslogAsync(port);
        var e = PostcodeSearch(DateTime.UtcNow);
        for (var i = 0; i < 20; i++)
        {
            e.Body.Set($"field{i:00}", new string((char)('a' + i), 200));
        }

        using (var sink = new SyslogSink(new SyslogSinkOptions { Port = port }))
        {
            Send(sink, e);
            Assert.Equal(new SyslogSinkStats(1, 0, 1), sink.Stats);
        }

        var (columns, fields) = Split((await rsyslog.ReceivedAsync(1))[0]);
        Assert.Equal("OK", columns[0]);
        Assert.Equal("SW1A 1AA", fields.GetProperty("postcode").GetString());
        Assert.Equal(new string('a', 200), fields.GetProperty("field00").GetString());
        Assert.False(fields.TryGetProperty("field19", out _));
        var kept = Enumerable.Range(0, 20).Count(i => fields.TryGetProperty($"field{i:00}", out _));
        Assert.Equal(20 - kept, fields.GetProperty("oxbow_truncated").GetInt32());
    }

    [Fact]
    public void Every_datagram_fits_the_configured_limit_byte_for_byte()
    {
        using var receiver = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)receiver.Client.LocalEndPoint!).Port;
        var e = PostcodeSearch(DateTime.UtcNow);
        e.Body.Set("blob", new string('x', 5000));
        using (var sink = new SyslogSink(new SyslogSinkOptions { Port = port, MaxDatagramBytes = 1024 }))
        {
            Send(sink, e);
        }

        receiver.Client.ReceiveTimeout = 30_000;
        IPEndPoint? from = null;
        var datagram = receiver.Receive(ref from);
        Assert.InRange(datagram.Length, 400, 1024);
        var text = Encoding.UTF8.GetString(datagram);
        Assert.StartsWith("<12>1 ", text, StringComparison.Ordinal);
        using var cee = JsonDocument.Parse(text[(text.IndexOf("@cee: ", StringComparison.Ordinal) + 6)..]);
        Assert.Equal(1, cee.RootElement.GetProperty("oxbow_truncated").GetInt32());
    }

    [Fact]
    public async Task Over_TLS_rsyslog_receives_and_parses_the_event_when_the_sink_pins_its_certificate()
    {
        var (certificate, certFile, keyFile) = SelfSigned();
        var port = DaemonProcess.FreePort();
        using var rsyslog = await StartRsyslogAsync(
            $"""input(type="imtcp" port="{port}" address="127.0.0.1" ruleset="parse" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")""",
            $"""defaultNetstreamDriverCAFile="{certFile}" defaultNetstreamDriverCertFile="{certFile}" defaultNetstreamDriverKeyFile="{keyFile}" """);
        using (var sink = new SyslogSink(new SyslogSinkOptions { Port = port, Transport = SyslogTransport.Tls, TrustedCertificate = certificate, TlsServerName = "localhost" }))
        {
            Send(sink, PostcodeSearch(DateTime.UtcNow), PostcodeSearch(DateTime.UtcNow));
            Assert.Equal(new SyslogSinkStats(2, 0, 0), sink.Stats);
        }

        var lines = await rsyslog.ReceivedAsync(2);
        Assert.All(lines, line =>
        {
            var (columns, fields) = Split(line);
            Assert.Equal("OK", columns[0]);
            Assert.Equal("tax", fields.GetProperty("product").GetString());
        });
    }

    [Fact]
    public void A_receiver_that_is_not_there_costs_a_counted_drop_and_never_an_exception()
    {
        var port = DaemonProcess.FreePort(); // nothing listens here
        using var sink = new SyslogSink(new SyslogSinkOptions { Port = port, Transport = SyslogTransport.Tcp, RetryAfter = TimeSpan.FromHours(1) });
        Send(sink, PostcodeSearch(DateTime.UtcNow), PostcodeSearch(DateTime.UtcNow));
        Send(sink, PostcodeSearch(DateTime.UtcNow));
        Assert.Equal(new SyslogSinkStats(0, 3, 0), sink.Stats);
    }

    private (X509Certificate2 Certificate, string CertFile, string KeyFile) SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certFile = _dir.Sub("cert.pem");
        var keyFile = _dir.Sub("key.pem");
        File.WriteAllText(certFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (X509CertificateLoader.LoadCertificate(certificate.RawData), certFile, keyFile);
    }

    public void Dispose() => _dir.Dispose();
}
