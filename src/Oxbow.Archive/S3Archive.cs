using System.Globalization;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Oxbow.Query.Store;
using Oxbow.Store;
using Oxbow.Store.Compaction;
using Oxbow.Store.Listing;

namespace Oxbow.Archive;

/// <summary>
/// Uploads the store's compacted Parquet to S3 and brings it back. Keys mirror the Hive layout:
/// <c>&lt;prefix&gt;/type=T/day=YYYY-MM-DD/hour=HH/&lt;file&gt;</c>, and every file name starts with the collector's id
/// (its name and a random suffix), so collectors sharing a bucket never collide. Only Parquet is archived: one object
/// per hour per collector, never a flood of small NDJSON objects, and a layout Athena, Trino and DuckDB read as is.
/// </summary>
/// <remarks>
/// Idempotent: each object carries the file's SHA-256 in its metadata, and a file whose object already has that hash
/// is not sent again. A file that was uploaded is marked (<c>X.parquet.uploaded</c>) so a later compaction of the same
/// hour never folds it into a new file (which would put its events in S3 twice).
/// </remarks>
public sealed class S3Archive : IDisposable
{
    private const string UploadedSuffix = Compactor.UploadedSuffix;

    private const string HashMetadata = "oxbow-sha256";
    private readonly S3ArchiveOptions _options;
    private readonly AmazonS3Client _client;

    /// <summary>A client for <paramref name="options"/>.</summary>
    public S3Archive(S3ArchiveOptions options)
    {
        _options = options;
        var config = new AmazonS3Config
        {
            // S3-compatible servers (s3rver, MinIO) want path-style keys and plain (not trailing-checksum) bodies.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (options.Endpoint is { Length: > 0 } endpoint)
        {
            config.ServiceURL = endpoint;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = options.Region;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region);
        }

        _client = options.AccessKey is { Length: > 0 } && options.SecretKey is { Length: > 0 }
            ? new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config)
            : new AmazonS3Client(config);
    }

    /// <summary>The key for a file at <paramref name="relativePath"/> (with <c>/</c> separators) in the layout.</summary>
    public string KeyFor(string relativePath) => _options.Prefix.Length == 0 ? relativePath : _options.Prefix + "/" + relativePath;

    /// <summary>
    /// Uploads every compacted Parquet file; with <paramref name="removeLocal"/> (archive), deletes each local file
    /// once S3 holds it, and then any hour and day directories left empty.
    /// </summary>
    public async Task<TransferSummary> UploadAsync(string dataDirectory, bool removeLocal, Action<int, int, string?>? progress = null, CancellationToken cancellationToken = default)
    {
        var files = StoreLayout.Partitions(dataDirectory)
            .SelectMany(p => StoreLayout.Files(p).Parquet.Select(f => (Partition: p, File: f)))
            .OrderBy(x => x.Partition.Start).ThenBy(x => x.File, StringComparer.Ordinal).ToList();
        int sent = 0, skipped = 0;
        long bytes = 0;
        for (var i = 0; i < files.Count; i++)
        {
            var (partition, file) = files[i];
            var relative = StoreLayout.RelativeDirectory(partition.Type, partition.Day, partition.Hour) + "/" + Path.GetFileName(file);
            var key = KeyFor(relative);
            var hash = await HashAsync(file, cancellationToken).ConfigureAwait(false);
            string line;
            if (await ExistingHashAsync(key, cancellationToken).ConfigureAwait(false) == hash)
            {
                skipped++;
                line = $"{relative}: already in s3://{_options.Bucket}/{key}";
            }
            else
            {
                var length = new FileInfo(file).Length;
                await PutAsync(file, key, hash, length, cancellationToken).ConfigureAwait(false);
                sent++;
                bytes += length;
                line = string.Create(CultureInfo.InvariantCulture, $"{relative}: uploaded {length:N0} bytes to s3://{_options.Bucket}/{key}");
            }

            await File.WriteAllBytesAsync(file + UploadedSuffix, [], cancellationToken).ConfigureAwait(false);
            if (removeLocal)
            {
                File.Delete(file);
                File.Delete(file + StoreLayout.LookupIndexSuffix);
                File.Delete(file + UploadedSuffix);
                StoreChanges.Record(dataDirectory, StoreLayout.RelativeDirectory(partition.Type, partition.Day, partition.Hour));
                RemoveIfEmpty(partition.Directory);
                RemoveIfEmpty(Path.GetDirectoryName(partition.Directory)!);
            }

            progress?.Invoke(i + 1, files.Count, line);
        }

        return new TransferSummary(sent, skipped, bytes);
    }

    /// <summary>
    /// Downloads the archived objects of <paramref name="type"/> (null: every type) whose hour falls in
    /// <paramref name="range"/> (null: all) into <paramref name="targetDirectory"/>'s layout, byte for byte. Files
    /// already there with the same size are skipped, as are names in <paramref name="skipNames"/>.
    /// </summary>
    public async Task<TransferSummary> RestoreAsync(string targetDirectory, string? type, TimeRange? range, IReadOnlySet<string>? skipNames = null,
        Action<int, int, string?>? progress = null, CancellationToken cancellationToken = default)
    {
        var objects = await ListAsync(type, range, cancellationToken).ConfigureAwait(false);
        int fetched = 0, skipped = 0;
        long bytes = 0;
        for (var i = 0; i < objects.Count; i++)
        {
            var (key, relative, size) = objects[i];
            var target = Path.Combine(targetDirectory, relative);
            string? line = null;
            if ((File.Exists(target) && new FileInfo(target).Length == size) || (skipNames?.Contains(relative) ?? false))
            {
                skipped++;
            }
            else
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                var temporary = target + StoreLayout.TemporarySuffix;
                using (var response = await _client.GetObjectAsync(_options.Bucket, key, cancellationToken).ConfigureAwait(false))
                await using (var output = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                {
                    await response.ResponseStream.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
                    await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                    output.Flush(flushToDisk: true);
                }

                // Renamed into place only when whole, so a query never reads half a file.
                File.Move(temporary, target, overwrite: true);
                await File.WriteAllBytesAsync(target + UploadedSuffix, [], cancellationToken).ConfigureAwait(false);
                StoreChanges.Record(targetDirectory, Path.GetDirectoryName(relative)!.Replace('\\', '/'));
                fetched++;
                bytes += size;
                line = string.Create(CultureInfo.InvariantCulture, $"{relative}: restored {size:N0} bytes");
            }

            progress?.Invoke(i + 1, objects.Count, line);
        }

        return new TransferSummary(fetched, skipped, bytes);
    }

    /// <summary>Archived objects in the layout, as (key, path relative to a data directory, size).</summary>
    public async Task<List<(string Key, string Relative, long Size)>> ListAsync(string? type, TimeRange? range, CancellationToken cancellationToken)
    {
        var root = _options.Prefix.Length == 0 ? "" : _options.Prefix + "/";
        var prefix = root + (type is null ? StoreLayout.TypePrefix : StoreLayout.TypeDirectory(type) + "/");
        List<(string, string, long)> found = [];
        var request = new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = prefix };
        do
        {
            var page = await _client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.S3Objects ?? [])
            {
                var relative = item.Key[root.Length..];
                if (ParseRelative(relative) is { } hour && (range is null || (hour.AddHours(1) > range.Start && hour < range.EndExclusive)))
                {
                    found.Add((item.Key, relative, item.Size ?? 0));
                }
            }

            request.ContinuationToken = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (request.ContinuationToken is not null);
        return found;
    }

    /// <summary>
    /// The hour a relative key (<c>type=T/day=D/hour=H/name.parquet</c>) belongs to; null for anything else, so a
    /// stray or hostile key can never name a path outside the layout.
    /// </summary>
    internal static DateTime? ParseRelative(string relative) => StoreLayout.HourOfParquet(relative);

    private async Task<string?> ExistingHashAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var metadata = await _client.GetObjectMetadataAsync(_options.Bucket, key, cancellationToken).ConfigureAwait(false);
            return metadata.Metadata[HashMetadata];
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task PutAsync(string file, string key, string hash, long length, CancellationToken cancellationToken)
    {
        if (length < _options.MultipartThreshold)
        {
            var put = new PutObjectRequest { BucketName = _options.Bucket, Key = key, FilePath = file, UseChunkEncoding = false, ContentType = "application/vnd.apache.parquet" };
            put.Metadata[HashMetadata] = hash;
            await _client.PutObjectAsync(put, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Parts by hand rather than TransferUtility, which corrupts uploads on some S3-compatible servers.
        var start = new InitiateMultipartUploadRequest { BucketName = _options.Bucket, Key = key, ContentType = "application/vnd.apache.parquet" };
        start.Metadata[HashMetadata] = hash;
        var upload = await _client.InitiateMultipartUploadAsync(start, cancellationToken).ConfigureAwait(false);
        try
        {
            List<PartETag> parts = [];
            var partNumber = 1;
            for (long offset = 0; offset < length; offset += _options.PartSize, partNumber++)
            {
                var part = await _client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = _options.Bucket,
                    Key = key,
                    UploadId = upload.UploadId,
                    PartNumber = partNumber,
                    FilePath = file,
                    FilePosition = offset,
                    PartSize = Math.Min(_options.PartSize, length - offset),
                    UseChunkEncoding = false,
                }, cancellationToken).ConfigureAwait(false);
                parts.Add(new PartETag(partNumber, part.ETag));
            }

            await _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _options.Bucket,
                Key = key,
                UploadId = upload.UploadId,
                PartETags = parts,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await _client.AbortMultipartUploadAsync(_options.Bucket, key, upload.UploadId, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<string> HashAsync(string file, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
    }

    private static void RemoveIfEmpty(string directory)
    {
        try
        {
            if (Directory.Exists(directory) && !Directory.EnumerateFileSystemEntries(directory).Any())
            {
                Directory.Delete(directory);
            }
        }
        catch (IOException)
        {
            // Something arrived meanwhile: the directory stays.
        }
    }

    /// <inheritdoc />
    public void Dispose() => _client.Dispose();
}

/// <summary>What an upload or restore did.</summary>
/// <param name="Transferred">Files sent or fetched.</param>
/// <param name="Skipped">Files already in place.</param>
/// <param name="Bytes">Bytes transferred.</param>
public sealed record TransferSummary(int Transferred, int Skipped, long Bytes);
