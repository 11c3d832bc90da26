using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using Oxbow.Daemon.Auth;
using Oxbow.Daemon.Tests.Support;

namespace Oxbow.Daemon.Tests;

/// <summary>Stats, scopes, compression and the SQL sandbox follow the same rules as everything else.</summary>
public sealed class AccessHardeningTests
{
    private static async Task<HttpStatusCode> GetAsync(DaemonProcess daemon, string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await daemon.Http.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Stats_and_metrics_need_the_admin_or_a_metrics_token_when_a_token_file_is_in_force()
    {
        using var dir = new TempDirectory();
        var tokens = dir.Sub("tokens");
        await File.WriteAllTextAsync(tokens, "admin adm1n\ningest ing3st web*\nmetrics pr0m\n");
        await using var collector = new DaemonProcess(dir.Sub("data"), "--token-file", tokens);
        await collector.StartAsync();

        foreach (var path in new[] { "v1/stats", "metrics" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(collector, path, null));
            Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(collector, path, "wrong"));
            Assert.Equal(HttpStatusCode.Forbidden, await GetAsync(collector, path, "ing3st"));
            Assert.Equal(HttpStatusCode.OK, await GetAsync(collector, path, "pr0m"));
            Assert.Equal(HttpStatusCode.OK, await GetAsync(collector, path, "adm1n"));
        }

        // A metrics token reads; it may not ingest, query or stop the daemon.
        using var ingest = new HttpRequestMessage(HttpMethod.Post, "v1/events") { Content = new StringContent("{\"type\":\"web\"}\n") };
        ingest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "pr0m");
        using (var refused = await collector.Http.SendAsync(ingest))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, await GetAsync(collector, "healthz", null));
    }

    [Theory]
    [InlineData("web*", "web", true)]
    [InlineData("web*", "web.api", true)]
    [InlineData("web*", "website", false)]
    [InlineData("web*", "website.billing", false)]
    [InlineData("web.*", "web", false)]
    [InlineData("web.*", "web.api.db", true)]
    [InlineData("web", "web", true)]
    [InlineData("web", "web.api", false)]
    [InlineData("*", "anything.at.all", true)]
    public void A_scope_matches_whole_dotted_segments(string pattern, string type, bool matches) =>
        Assert.Equal(matches, TypePattern.Matches(pattern, type));

    [Fact]
    public async Task A_web_scope_does_not_admit_website_over_http()
    {
        using var dir = new TempDirectory();
        var tokens = dir.Sub("tokens");
        await File.WriteAllTextAsync(tokens, "admin adm1n\ningest ing3st web*\n");
        await using var collector = new DaemonProcess(dir.Sub("data"), "--token-file", tokens);
        await collector.StartAsync();
        collector.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "ing3st");
        using (var ok = await collector.Http.PostAsync("v1/events", new StringContent("{\"type\":\"web.api\"}\n")))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using var website = await collector.Http.PostAsync("v1/events", new StringContent("{\"type\":\"website.billing\"}\n"));
        Assert.Equal(HttpStatusCode.Forbidden, website.StatusCode);
        Assert.Contains("not type 'website.billing'", await website.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_gzip_stream_cut_after_a_flush_without_its_final_block_is_refused_as_bad_compression()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"));
        await collector.StartAsync();
        var whole = new MemoryStream();
        var flushedAt = 0L;
        using (var gzip = new GZipStream(whole, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write("{\"type\":\"zipped\",\"n\":1}\n{\"type\":\"zipped\",\"n\":2}\n"u8);
            gzip.Flush();
            flushedAt = whole.Length;
            gzip.Write("{\"type\":\"zipped\",\"n\":3}\n"u8);
        }

        var content = new ByteArrayContent(whole.ToArray()[..(int)flushedAt]);
        content.Headers.ContentEncoding.Add("gzip");
        using var cut = await collector.Http.PostAsync("v1/events", content);
        Assert.Equal(HttpStatusCode.BadRequest, cut.StatusCode);
        Assert.Contains("not valid gzip: the stream is truncated or damaged", await cut.Content.ReadAsStringAsync());

        var intact = new ByteArrayContent(whole.ToArray());
        intact.Headers.ContentEncoding.Add("gzip");
        using var ok = await collector.Http.PostAsync("v1/events", intact);
        Assert.Equal("{\"accepted\":3,\"duplicate\":false}\n", await ok.Content.ReadAsStringAsync());
        Assert.Equal(1, await collector.StatAsync("rejects", "bad_compression"));
    }

    [Fact]
    public async Task The_query_engine_spills_to_its_private_directory_not_to_the_working_directory()
    {
        using var dir = new TempDirectory();
        await using var collector = new DaemonProcess(dir.Sub("data"));
        await collector.StartAsync();
        var (status, body) = await collector.QueryAsync("SELECT current_setting('temp_directory') LIKE '%/oxbow-query-%' AS private");
        Assert.True(status == HttpStatusCode.OK, body);
        Assert.Equal("private\r\ntrue\r\n", body);
        (status, body) = await collector.QueryAsync($"SELECT count(*) FROM glob('{Environment.CurrentDirectory}/*')");
        Assert.Equal(HttpStatusCode.BadRequest, status);
    }
}
