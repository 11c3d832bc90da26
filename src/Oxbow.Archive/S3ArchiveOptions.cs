namespace Oxbow.Archive;

/// <summary>Where and how the store is archived in S3. Each setting also has an environment variable (see docs/store.md).</summary>
public sealed class S3ArchiveOptions
{
    /// <summary>The bucket. Required (<c>OXBOW_S3_BUCKET</c>).</summary>
    public required string Bucket { get; init; }

    /// <summary>Key prefix under which the Hive layout is mirrored (<c>OXBOW_S3_PREFIX</c>). Default <c>oxbow</c>; empty means the bucket's root.</summary>
    public string Prefix { get; init; } = "oxbow";

    /// <summary>
    /// Endpoint of an S3-compatible server, such as <c>http://127.0.0.1:4568</c> (<c>OXBOW_S3_ENDPOINT</c>). Default
    /// null: AWS itself, by <see cref="Region"/>. Setting it turns on path-style addressing.
    /// </summary>
    public string? Endpoint { get; init; }

    /// <summary>AWS region (<c>OXBOW_S3_REGION</c>, else <c>AWS_REGION</c>). Default <c>us-east-1</c>.</summary>
    public string Region { get; init; } = "us-east-1";

    /// <summary>Access key; default null: the SDK's chain (<c>AWS_ACCESS_KEY_ID</c>, profile, instance role).</summary>
    public string? AccessKey { get; init; }

    /// <summary>Secret key matching <see cref="AccessKey"/>.</summary>
    public string? SecretKey { get; init; }

    /// <summary>Files at least this large go up in parts. Default 16 MiB.</summary>
    public long MultipartThreshold { get; init; } = 16L << 20;

    /// <summary>Part size for multipart uploads; S3's minimum is 5 MiB. Default 8 MiB.</summary>
    public int PartSize { get; init; } = 8 << 20;

    /// <summary>Reads the options from <c>OXBOW_S3_*</c> variables; null when no bucket is set.</summary>
    public static S3ArchiveOptions? FromEnvironment(Func<string, string?> get, string? bucket = null, string? prefix = null, string? endpoint = null, string? region = null)
    {
        bucket ??= get("OXBOW_S3_BUCKET");
        if (string.IsNullOrEmpty(bucket))
        {
            return null;
        }

        return new S3ArchiveOptions
        {
            Bucket = bucket,
            Prefix = (prefix ?? get("OXBOW_S3_PREFIX") ?? "oxbow").Trim('/'),
            Endpoint = endpoint ?? get("OXBOW_S3_ENDPOINT"),
            Region = region ?? get("OXBOW_S3_REGION") ?? get("AWS_REGION") ?? "us-east-1",
            AccessKey = get("AWS_ACCESS_KEY_ID"),
            SecretKey = get("AWS_SECRET_ACCESS_KEY"),
        };
    }
}
