using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Oxbow.Codec;
using Oxbow.Sinks;
using Oxbow.Sinks.Syslog;
using Oxbow.Syslog.Tests.Support;

namespace Oxbow.Syslog.Tests;

/// <summary>The collector's syslog inputs, fed by the <c>logger</c> command, by a real rsyslog forwarding, and by Oxbow's own sink.</summary>
public sealed class SyslogInputTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly int _udpPort = DaemonProcess.FreePort();
    private readonly int _tcpPort = DaemonProcess.FreePort();
    private DaemonProcess _daemon = null!;

    public async Task InitializeAsync()
    {
        _daemon = new DaemonProcess(_dir.Sub("data"),
            "--syslog-udp", $"127.0.0.1:{_udpPort}", "--syslog-tcp", $"127.0.0.1:{_tcpPort}", "--max-event-bytes", "4096", "--seal-after", "3600");
        await _daemon.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _daemon.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>Waits until the collector has stored <paramref name="count"/> events and returns them in arrival order.</summary>
    /// <summary>Waits until the collector has stored <paramref name="count"/> events, and checks that there are no more.</summary>
    private async Task<List<JsonElement>> StoredAsync(int count)
    {
        var events = await StoredEvents.StoredAsync(_daemon.DataDirectory, count, () => _daemon.Output);
        Assert.Equal(count, events.Count);
        return events;
    }

    private static async Task LoggerAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("logger") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var logger = Process.Start(info)!;
        var error = await logger.StandardError.ReadToEndAsync();
        await logger.WaitForExitAsync();
        Assert.True(logger.ExitCode == 0, $"logger failed: {error}");
    }

    [Fact]
    public async Task Logger_over_UDP_in_RFC_5424_becomes_an_event_with_its_CEE_fields_msgid_and_structured_data()
    {
        await LoggerAsync("--udp", "--rfc5424", "-n", "127.0.0.1", "-P", $"{_udpPort}", "-t", "billing", "--msgid", "charge",
            "--sd-id", "shop@32473", "--sd-param", "tier=\"gold\"", "-p", "user.warning", "@cee: {\"user\":\"ann\",\"amount\":12.5}");

        var e = (await StoredAsync(1))[0];
        Assert.Equal("syslog", e.GetProperty("type").GetString());
        Assert.Equal("billing", e.GetProperty("app").GetString());
        Assert.Equal("warning", e.GetProperty("level").GetString());
        Assert.Equal(Environment.MachineName, e.GetProperty("host").GetString());
        var body = e.GetProperty("body");
        Assert.Equal("ann", body.GetProperty("user").GetString());
        Assert.Equal(12.5, body.GetProperty("amount").GetDouble());
        var syslog = body.GetProperty("syslog");
        Assert.Equal("user", syslog.GetProperty("facility").GetString());
        Assert.Equal("warning", syslog.GetProperty("severity").GetString());
        Assert.Equal("charge", syslog.GetProperty("msgid").GetString());
        Assert.Equal("gold", syslog.GetProperty("sd").GetProperty("shop@32473").GetProperty("tier").GetString());
        Assert.Equal("1", syslog.GetProperty("sd").GetProperty("timeQuality").GetProperty("tzKnown").GetString());
        // The counter follows the durable append, so it may trail the event's bytes in the partition file.
        await _daemon.WaitForStatAsync(1, "counters", "syslog_accepted");
    }

    [Fact]
    public async Task Logger_over_TCP_in_RFC_3164_with_octet_counting_keeps_a_plain_message_as_text()
    {
        await LoggerAsync("--tcp", "--octet-count", "--rfc3164", "-n", "127.0.0.1", "-P", $"{_tcpPort}", "-t", "cron", "-i", "-p", "local3.err", "disk full on /var");
        await LoggerAsync("--tcp", "--rfc3164", "-n", "127.0.0.1", "-P", $"{_tcpPort}", "-t", "cron", "-p", "local3.info", "second, LF-framed");

        var events = (await StoredAsync(2)).OrderBy(e => e.GetProperty("body").GetProperty("message").GetString()).ToList();
        Assert.Equal(["disk full on /var", "second, LF-framed"], events.Select(e => e.GetProperty("body").GetProperty("message").GetString()));
        Assert.All(events, e => Assert.Equal("cron", e.GetProperty("app").GetString()));
        Assert.Equal("error", events[0].GetProperty("level").GetString());
        Assert.True(events[0].GetProperty("pid").GetInt32() > 0);
        Assert.Equal("local3", events[0].GetProperty("body").GetProperty("syslog").GetProperty("facility").GetString());
        Assert.Equal("info", events[1].GetProperty("level").GetString());
    }

    [Fact]
    public async Task Rsyslog_forwarding_with_omfwd_over_TCP_and_UDP_delivers_each_message_as_a_typed_event()
    {
        var rsyslogPort = DaemonProcess.FreePort();
        using var rsyslog = await Rsyslog.StartAsync(_dir.Sub(""), $$"""
            input(type="imtcp" port="{{rsyslogPort}}" address="127.0.0.1" ruleset="forward")
            ruleset(name="forward") {
              action(type="omfwd" target="127.0.0.1" port="{{_tcpPort}}" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
              action(type="omfwd" target="127.0.0.1" port="{{_udpPort}}" protocol="udp" template="RSYSLOG_ForwardFormat")
            }
            """);
        await LoggerAsync("--tcp", "-n", "127.0.0.1", "-P", $"{rsyslogPort}", "-t", "deployer", "@cee: {\"type\":\"deploy\",\"version\":\"1.2\",\"ok\":true}");
        await LoggerAsync("--tcp", "-n", "127.0.0.1", "-P", $"{rsyslogPort}", "-t", "deployer", "plain words");

        var events = await StoredAsync(4);
        // The type a syslog message names is kept under the syslog prefix: a sender without a token cannot leave it.
        var deploys = events.Where(e => e.GetProperty("type").GetString() == "syslog.deploy").ToList();
        Assert.Equal(2, deploys.Count);
        Assert.All(deploys, e =>
        {
            Assert.Equal("deployer", e.GetProperty("app").GetString());
            Assert.Equal("1.2", e.GetProperty("body").GetProperty("version").GetString());
            Assert.True(e.GetProperty("body").GetProperty("ok").GetBoolean());
        });
        var plain = events.Where(e => e.GetProperty("type").GetString() == "syslog").ToList();
        Assert.Equal(2, plain.Count);
        Assert.All(plain, e => Assert.Equal("plain words", e.GetProperty("body").GetProperty("message").GetString()));
    }

    [Fact]
    public async Task An_event_sent_by_the_Oxbow_syslog_sink_arrives_with_its_own_id_level_trace_and_duration_and_its_type_under_the_syslog_prefix()
    {
        var end = new DateTime(2026, 11, 22, 9, 30, 5, DateTimeKind.Utc).AddTicks(1_234_560);
        var sent = new OxbowEvent
        {
            Id = "0123456789abcdef0123456789abcdef",
            Type = "checkout.payment",
            Start = end.AddMilliseconds(-1500),
            End = end,
            Level = OxLevel.Error,
            Host = "web-7",
            Pid = 77,
            App = "shop",
            TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
            SpanId = "00f067aa0ba902b7",
        };
        sent.Body.Set("amount", 12L);
        sent.Body.Set("type", "visa"); // collides with a CEE core field: travels as field_type
        using (var sink = new SyslogSink(new SyslogSinkOptions { Port = _tcpPort, Transport = SyslogTransport.Tcp }))
        {
            sink.Emit(new EventBatch(Encoding.UTF8.GetBytes(CanonicalJson.ToJson(sent) + "\n"), 1));
        }

        var got = CanonicalJson.Parse(Encoding.UTF8.GetBytes((await StoredAsync(1))[0].GetRawText()));
        Assert.Equal(
            (sent.Id, "syslog." + sent.Type, sent.Start, sent.End, sent.Level, sent.Host, sent.Pid, sent.App, sent.TraceId, sent.SpanId),
            (got.Id, got.Type, got.Start, got.End, got.Level, got.Host, got.Pid, got.App, got.TraceId, got.SpanId));
        Assert.Equal(12L, got.Body["amount"]);
        Assert.Equal("visa", got.Body["type"]);
        Assert.Equal("user", got["syslog.facility"]);
    }

    [Fact]
    public async Task Bad_messages_are_counted_by_reason_and_the_good_ones_around_them_are_stored()
    {
        using var udp = new UdpClient();
        udp.Connect(IPAddress.Loopback, _udpPort);
        byte[][] datagrams =
        [
            "<999>bad priority"u8.ToArray(),
            "<13>1 2026-13-45T99:00:00Z host app - - - broken timestamp"u8.ToArray(),
            "<13>1 2026-11-22T09:00:00Z host app - - [unclosed x=\"1\" broken sd"u8.ToArray(),
            [.. "<13>Nov 22 09:00:00 host app: caf"u8, 0xC3, 0x28, .. " latin"u8],
            Encoding.ASCII.GetBytes("<13>" + new string('x', 5000)),
            "<13>Nov 22 09:00:00 host app: good one"u8.ToArray(),
        ];
        foreach (var datagram in datagrams)
        {
            await udp.SendAsync(datagram);
        }

        // On TCP, an octet count that is not a number ends that connection (it cannot be resynchronised) ...
        using (var broken = new TcpClient())
        {
            await broken.ConnectAsync(IPAddress.Loopback, _tcpPort);
            await broken.GetStream().WriteAsync("12345678901 <13>x"u8.ToArray());
            var buffer = new byte[16];
            Assert.Equal(0, await broken.GetStream().ReadAsync(buffer));
        }

        // ... and another connection is not disturbed.
        await LoggerAsync("--tcp", "--octet-count", "-n", "127.0.0.1", "-P", $"{_tcpPort}", "-t", "app", "good two");

        var events = await StoredAsync(3);
        Assert.Equal(["caf\uFFFD( latin", "good one", "good two"], events.Select(e => e.GetProperty("body").GetProperty("message").GetString()).Order(StringComparer.Ordinal));
        await _daemon.WaitForStatAsync(4, "counters", "syslog_malformed");
        Assert.Equal(1, await _daemon.StatAsync("counters", "syslog_oversized"));
        Assert.Equal(1, await _daemon.StatAsync("counters", "syslog_repaired_utf8"));
        await _daemon.WaitForStatAsync(3, "counters", "syslog_accepted");
        var metrics = await _daemon.Http.GetStringAsync("metrics");
        Assert.Contains("oxbow_syslog_malformed_total 4\n", metrics, StringComparison.Ordinal);
    }
}
