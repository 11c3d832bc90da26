using System.CommandLine;
using Oxbow.Archive;
using Oxbow.Query.Store;
using Oxbow.Store;

namespace Oxbow.Cli.Commands;

/// <summary><c>oxbow store upload|archive|restore</c>, and S3 reads for <c>store cat</c>.</summary>
internal static class ArchiveCommands
{
    private static readonly Option<string> Bucket = new("--s3-bucket") { Description = "S3 bucket (default $OXBOW_S3_BUCKET)" };
    private static readonly Option<string> Prefix = new("--s3-prefix") { Description = "key prefix (default $OXBOW_S3_PREFIX or oxbow)" };
    private static readonly Option<string> Endpoint = new("--s3-endpoint") { Description = "S3-compatible endpoint URL (default $OXBOW_S3_ENDPOINT, else AWS)" };
    private static readonly Option<string> Region = new("--s3-region") { Description = "region (default $OXBOW_S3_REGION, $AWS_REGION or us-east-1)" };

    public static void AddS3Options(Command command)
    {
        command.Options.Add(Bucket);
        command.Options.Add(Prefix);
        command.Options.Add(Endpoint);
        command.Options.Add(Region);
    }

    public static IEnumerable<Command> Create()
    {
        yield return Transfer("upload", "Upload compacted hours (Parquet) to S3; files already there are skipped.", removeLocal: false);
        yield return Transfer("archive", "Upload compacted hours to S3, then remove them locally.", removeLocal: true);
        yield return Restore();
    }

    private static S3ArchiveOptions? Options(ParseResult parse) => S3ArchiveOptions.FromEnvironment(
        Environment.GetEnvironmentVariable, parse.GetValue(Bucket), parse.GetValue(Prefix), parse.GetValue(Endpoint), parse.GetValue(Region));

    private static Command Transfer(string name, string description, bool removeLocal)
    {
        var command = new Command(name, description);
        var data = DataDirectory.Create();
        command.Options.Add(data);
        AddS3Options(command);
        command.SetAction((parse, cancellationToken) => RunAsync(parse, async options =>
        {
            using var archive = new S3Archive(options);
            var progress = new Progress("files");
            var summary = await archive.UploadAsync(DataDirectory.Resolve(parse, data), removeLocal, progress.Report, cancellationToken);
            progress.Done();
            Console.WriteLine($"uploaded {summary.Transferred} files ({summary.Bytes} bytes), {summary.Skipped} already in s3://{options.Bucket}" +
                (removeLocal ? "; local copies removed" : ""));
        }));
        return command;
    }

    private static Command Restore()
    {
        var command = new Command("restore", "Download archived hours from S3 into the data directory, byte for byte.");
        var data = DataDirectory.Create();
        var type = new Option<string>("--type") { Description = "only this type (default all)" };
        var start = new Option<string>("--start") { Description = "first day/hour included (default: everything)" };
        var end = new Option<string>("--end") { Description = "last day/hour included" };
        command.Options.Add(data);
        command.Options.Add(type);
        command.Options.Add(start);
        command.Options.Add(end);
        AddS3Options(command);
        command.SetAction((parse, cancellationToken) => RunAsync(parse, async options =>
        {
            var range = parse.GetValue(start) is { } s ? TimeRange.Parse(s, parse.GetValue(end) ?? s) : null;
            using var archive = new S3Archive(options);
            var progress = new Progress("files");
            var summary = await archive.RestoreAsync(DataDirectory.Resolve(parse, data), parse.GetValue(type), range, null, progress.Report, cancellationToken);
            progress.Done();
            Console.WriteLine($"restored {summary.Transferred} files ({summary.Bytes} bytes), {summary.Skipped} already present");
        }));
        return command;
    }

    /// <summary>
    /// For <c>store cat</c>: when S3 is configured, fetches the range's archived files that are not local into
    /// <c>DATA/_oxbow/s3-cache</c> and returns that cache as an extra root to read; otherwise null.
    /// </summary>
    public static async Task<string?> ArchivedHoursAsync(ParseResult parse, string dataDirectory, string type, TimeRange range, CancellationToken cancellationToken)
    {
        if (Options(parse) is not { } options)
        {
            return null;
        }

        using var archive = new S3Archive(options);
        var local = StoreLayout.Partitions(dataDirectory, type)
            .SelectMany(p => Directory.EnumerateFiles(p.Directory).Select(f => StoreLayout.RelativeDirectory(p.Type, p.Day, p.Hour) + "/" + Path.GetFileName(f)))
            .ToHashSet(StringComparer.Ordinal);
        var cache = Path.Combine(dataDirectory, "_oxbow", "s3-cache");
        await archive.RestoreAsync(cache, type, range, local, null, cancellationToken);
        return cache;
    }

    private static async Task<int> RunAsync(ParseResult parse, Func<S3ArchiveOptions, Task> action)
    {
        if (Options(parse) is not { } options)
        {
            return ControlClient.Fail("no S3 bucket: give --s3-bucket or set OXBOW_S3_BUCKET");
        }

        try
        {
            await action(options);
            return 0;
        }
        catch (Exception ex) when (ex is Amazon.Runtime.AmazonClientException or IOException or FormatException or ArgumentException or UnauthorizedAccessException)
        {
            return ControlClient.Fail(ex.Message.ReplaceLineEndings(" ").Trim());
        }
    }
}
