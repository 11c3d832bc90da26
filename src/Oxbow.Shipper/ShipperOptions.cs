using System.Text.RegularExpressions;

namespace Oxbow.Shipper;

/// <summary>Settings of <c>oxbow ingest</c>. Every default is stated.</summary>
public sealed class ShipperOptions
{
    /// <summary>Collector or agent ingest addresses (binary protocol), in order of preference. Default <c>127.0.0.1:3514</c>.</summary>
    public IReadOnlyList<string> Endpoints { get; set; } = ["127.0.0.1:3514"];

    /// <summary>Ingest token. Default none (enough on loopback without a token file).</summary>
    public string Token { get; set; } = "";

    /// <summary>Checkpoint file of a follower. Default <c>oxbow-ingest.state</c> in the current directory.</summary>
    public string StatePath { get; set; } = "oxbow-ingest.state";

    /// <summary>Whether a followed file without a checkpoint is read from its start. Default false: only lines written after start.</summary>
    public bool FromStart { get; set; }

    /// <summary>A line that matches starts a new record; others continue the previous one (stack traces). Default none: a record per line.</summary>
    public Regex? MultilineStart { get; set; }

    /// <summary>How long a multi-line record waits for more lines before it is sent. Default 1 s.</summary>
    public TimeSpan MultilineIdle { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often followed files are checked for new lines, rotation and truncation. Default 250 ms.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest record; longer ones are cut and marked <c>truncated</c>. Default 256 KiB.</summary>
    public int MaxRecordBytes { get; set; } = 256 * 1024;

    /// <summary>Events per batch, at most. Default 1000.</summary>
    public int MaxBatchEvents { get; set; } = 1000;

    /// <summary>
    /// How long reading stdin waits for the collector to acknowledge a batch before it gives up (exit 1). Followers
    /// wait for ever: their checkpoint keeps their place. Default 30 s.
    /// </summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The events' <c>host</c>. Default the machine name.</summary>
    public string Host { get; set; } = Environment.MachineName;

    /// <summary>The events' <c>app</c>. Default <c>$OXBOW_APP</c> or <c>oxbow-ingest</c>.</summary>
    public string App { get; set; } = Environment.GetEnvironmentVariable("OXBOW_APP") ?? "oxbow-ingest";

    /// <summary>Where progress and problems are reported. Default standard error.</summary>
    public TextWriter Log { get; set; } = Console.Error;
}

/// <summary>One file to follow: <c>type:path</c>, or a bare path whose type derives from the file name.</summary>
public sealed record FollowSpec(string Type, string Path)
{
    /// <summary>Parses <c>-F</c>'s value.</summary>
    /// <exception cref="FormatException">The type is not a valid type name.</exception>
    public static FollowSpec Parse(string text)
    {
        var colon = text.IndexOf(':');
        if (colon > 0 && !text[..colon].Contains('/'))
        {
            var type = text[..colon];
            return EventType.IsValid(type)
                ? new FollowSpec(type, text[(colon + 1)..])
                : throw new FormatException($"'{type}' is not a valid type name (lower-case [a-z0-9_-] segments joined by dots)");
        }

        return new FollowSpec(TypeFromFileName(text), text);
    }

    /// <summary><c>/var/log/nginx/Access-Log.2024.log</c> → <c>access-log_2024</c>: the name without <c>.log</c>-like extensions, made a valid type.</summary>
    public static string TypeFromFileName(string path)
    {
        var name = System.IO.Path.GetFileName(path);
        foreach (var extension in new[] { ".gz", ".log", ".ndjson", ".jsonl", ".json", ".txt", ".out", ".err" })
        {
            if (name.EndsWith(extension, StringComparison.OrdinalIgnoreCase) && name.Length > extension.Length)
            {
                name = name[..^extension.Length];
            }
        }

        var chars = name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_').ToArray();
        var type = new string(chars).Trim('_');
        return type.Length == 0 ? "file" : type[..Math.Min(type.Length, EventType.MaxLength)];
    }
}
