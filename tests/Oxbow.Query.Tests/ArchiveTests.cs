using System.Security.Cryptography;
using Oxbow.Archive;
using Oxbow.Query.Store;
using Oxbow.Query.Tests.Support;
using Oxbow.Store.Compaction;

namespace Oxbow.Query.Tests;

/// <summary>Against a real S3-compatible server (s3rver from npm) on 127.0.0.1.</summary>
public sealed class ArchiveTests
{
    private static readonly FixedTime Noon22nd = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));

    private static Dictionary<string, string> Hashes(string data) =>
        Directory.EnumerateFiles(data, "*.parquet", SearchOption.AllDirectories)
            .Where(f => f.Contains("/type=", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetRelativePath(data, f), f => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f))));

    [Fact]
    public async Task Upload_is_idempotent_archive_frees_local_disk_and_cat_and_restore_read_it_back_byte_for_byte()
    {
        using var dir = new TempDirectory();
        await using var s3 = await S3rverProcess.StartAsync(dir.Sub("s3"));
        var data = dir.Sub("data");
        var set = KnownDataset.Write(data);
        new Compactor(new CompactorOptions { DataDirectory = data, Time = Noon22nd }).CompactClosedHours();
        var local = Hashes(data);
        Assert.Equal(18, local.Count);
        var catBefore = await Cli.RunAsync("store", "cat", "request", "--start", "2026-11-20T10", "--end", "2026-11-21T09", "--data", data);
        Assert.Equal(0, catBefore.Code);
        Assert.Equal(360, catBefore.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        using (var archive = new S3Archive(s3.Options()))
        {
            var first = await archive.UploadAsync(data, removeLocal: false);
            Assert.Equal((18, 0), (first.Transferred, first.Skipped));
            var second = await archive.UploadAsync(data, removeLocal: false);
            Assert.Equal((0, 18, 0L), (second.Transferred, second.Skipped, second.Bytes));
            // Keys mirror the Hive layout under the prefix, and file names start with the collector's id.
            var keys = await archive.ListAsync(null, null, CancellationToken.None);
            Assert.Equal(local.Keys.Select(k => "oxbow/" + k).Order(StringComparer.Ordinal), keys.Select(k => k.Key).Order(StringComparer.Ordinal));
        }

        var archived = await Cli.RunAsync(s3.Environment, "store", "archive", "--data", data);
        Assert.Equal(0, archived.Code);
        Assert.Equal($"uploaded 0 files (0 bytes), 18 already in s3://{s3.Bucket}; local copies removed\n", archived.Stdout);
        Assert.Empty(Hashes(data));
        Assert.Empty(Directory.GetDirectories(Path.Combine(data, "type=request")));

        // cat reads the archived hours from S3 as if they were local.
        var catAfter = await Cli.RunAsync(s3.Environment, "store", "cat", "request", "--start", "2026-11-20T10", "--end", "2026-11-21T09", "--data", data);
        Assert.Equal(0, catAfter.Code);
        Assert.Equal(catBefore.Stdout, catAfter.Stdout);

        var restored = await Cli.RunAsync(s3.Environment, "store", "restore", "--data", dir.Sub("restored"));
        Assert.Equal(0, restored.Code);
        Assert.Equal("restored 18 files", restored.Stdout[..17]);
        Assert.Equal(local, Hashes(dir.Sub("restored")));
        using (var restoredQuery = new StoreQuery(new StoreQueryOptions { DataDirectory = dir.Sub("restored") }))
        {
            Assert.Equal((long)set.Events.Count, (long)restoredQuery.Run("SELECT count(*) FROM events").Result.Rows[0][0]!);
        }
        var again = await Cli.RunAsync(s3.Environment, "store", "restore", "--data", dir.Sub("restored"));
        Assert.StartsWith("restored 0 files (0 bytes), 18 already present", again.Stdout);

        // Restoring one type and hour range fetches only those.
        var some = await Cli.RunAsync(s3.Environment, "store", "restore", "--data", dir.Sub("some"), "--type", "request", "--start", "2026-11-21T10", "--end", "2026-11-21T11");
        Assert.StartsWith("restored 2 files", some.Stdout);
    }

    [Fact]
    public async Task A_large_file_goes_up_in_parts_and_comes_back_whole()
    {
        using var dir = new TempDirectory();
        await using var s3 = await S3rverProcess.StartAsync(dir.Sub("s3"));
        var hour = Path.Combine(dir.Sub("data"), "type=big/day=2026-11-20/hour=03");
        Directory.CreateDirectory(hour);
        var bytes = new byte[(12 << 20) + 12345];
        new Random(7).NextBytes(bytes);
        await File.WriteAllBytesAsync(Path.Combine(hour, "c1_aaaaaa-x.parquet"), bytes);
        var options = s3.Options("archive/v1");
        using var archive = new S3Archive(new S3ArchiveOptions
        {
            Bucket = options.Bucket,
            Prefix = options.Prefix,
            Endpoint = options.Endpoint,
            AccessKey = options.AccessKey,
            SecretKey = options.SecretKey,
            MultipartThreshold = 6 << 20,
            PartSize = 5 << 20,
        });
        var sent = await archive.UploadAsync(dir.Sub("data"), removeLocal: false);
        Assert.Equal((1, (long)bytes.Length), (sent.Transferred, sent.Bytes));
        Assert.Equal(0, (await archive.UploadAsync(dir.Sub("data"), removeLocal: false)).Transferred);
        var back = await archive.RestoreAsync(dir.Sub("back"), "big", null);
        Assert.Equal(1, back.Transferred);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(dir.Sub("back"), "type=big/day=2026-11-20/hour=03/c1_aaaaaa-x.parquet")));
    }

    [Theory]
    [InlineData("type=request/day=2026-11-20/hour=05/a.parquet", true)]
    [InlineData("type=request/day=2026-11-20/hour=05/../../x.parquet", false)]
    [InlineData("type=../day=2026-11-20/hour=05/a.parquet", false)]
    [InlineData("type=request/day=2026-13-20/hour=05/a.parquet", false)]
    [InlineData("type=request/day=2026-11-20/hour=24/a.parquet", false)]
    [InlineData("type=request/day=2026-11-20/hour=05/a.ndjson.gz", false)]
    [InlineData("type=request/day=2026-11-20/hour=05/sub/a.parquet", false)]
    public void Only_keys_in_the_layout_are_ever_restored(string relative, bool accepted) =>
        Assert.Equal(accepted, S3Archive.ParseRelative(relative) is not null);

    [Fact]
    public async Task Without_a_bucket_the_archive_commands_say_how_to_give_one()
    {
        var result = await Cli.RunAsync("store", "upload", "--data", "/nonexistent");
        Assert.Equal((1, "oxbow: no S3 bucket: give --s3-bucket or set OXBOW_S3_BUCKET\n"), (result.Code, result.Stderr));
    }
}
