using System.Buffers;
using System.Globalization;
using System.Text.RegularExpressions;
using Oxbow.Codec;
using Oxbow.Rendering;

namespace Oxbow.Sinks;

/// <summary>How often a <see cref="RollingFileSink"/> starts a new file regardless of size.</summary>
public enum RollInterval
{
    /// <summary>Only size rolls the file; names are <c>app.ndjson</c>, <c>app_001.ndjson</c>, …</summary>
    Infinite,

    /// <summary>A file per UTC day: <c>app-20261122.ndjson</c>.</summary>
    Day,

    /// <summary>A file per UTC hour: <c>app-2026112203.ndjson</c>.</summary>
    Hour,

    /// <summary>A file per UTC minute: <c>app-202611220339.ndjson</c>.</summary>
    Minute,
}

/// <summary>Settings of <see cref="RollingFileSink"/>.</summary>
public sealed class RollingFileOptions
{
    /// <summary>Base path; the directory is created if missing. <c>logs/app.ndjson</c> gives files such as <c>logs/app-20261122.ndjson</c>. Required.</summary>
    public string Path { get; set; } = "";

    /// <summary>Time-based rolling. Default: <see cref="RollInterval.Day"/>.</summary>
    public RollInterval Interval { get; set; } = RollInterval.Day;

    /// <summary>A file that would grow past this starts a new one (<c>_001</c>, <c>_002</c>, …); events are never split. Default: 100 MiB. Null: no limit.</summary>
    public long? FileSizeLimitBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>Files kept; older ones are deleted after each roll. Default: 31. Null: keep all.</summary>
    public int? RetainedFileCountLimit { get; set; } = 31;

    /// <summary>Renderer; default null writes the canonical JSON bytes unchanged (the fastest path).</summary>
    public IEventRenderer? Renderer { get; set; }

    /// <summary>Clock for choosing the period. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>fsync after each batch, so a power cut loses nothing already flushed. Default: false (flush to the OS only).</summary>
    public bool FlushToDisk { get; set; }
}

/// <summary>
/// JSON-lines files that roll by time and size, keeping a bounded number of files. Each batch is written with one
/// call and flushed to the operating system, so a crash of the process loses nothing already emitted by the writer.
/// </summary>
public sealed class RollingFileSink : IEventSink, IDisposable
{
    private readonly RollingFileOptions _options;
    private readonly string _directory;
    private readonly string _stem;
    private readonly string _extension;
    private readonly Regex _namePattern;
    private readonly ArrayBufferWriter<byte> _rendered = new(64 * 1024);
    private FileStream? _file;
    private string? _period;
    private int _sequence;

    /// <summary>Creates the sink; files are opened lazily on the first batch.</summary>
    public RollingFileSink(RollingFileOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(options.Path, nameof(options.Path));
        _options = options;
        var full = System.IO.Path.GetFullPath(options.Path);
        _directory = System.IO.Path.GetDirectoryName(full)!;
        _stem = System.IO.Path.GetFileNameWithoutExtension(full);
        _extension = System.IO.Path.GetExtension(full);
        _namePattern = new Regex($"^{Regex.Escape(_stem)}(-(?<period>\\d{{8,12}}))?(_(?<seq>\\d{{3,}}))?{Regex.Escape(_extension)}$", RegexOptions.CultureInvariant);
    }

    /// <summary>Path of the file being written, or null before the first batch.</summary>
    public string? CurrentPath => _file?.Name;

    /// <inheritdoc />
    public void Emit(in EventBatch batch)
    {
        ReadOnlySpan<byte> bytes;
        if (_options.Renderer is null or JsonRenderer)
        {
            bytes = batch.Utf8Lines.Span;
        }
        else
        {
            _rendered.ResetWrittenCount();
            foreach (var line in batch)
            {
                _options.Renderer.Render(CanonicalJson.Parse(line), _rendered);
            }

            bytes = _rendered.WrittenSpan;
        }

        var period = PeriodOf(_options.TimeProvider.GetUtcNow().UtcDateTime);
        if (_file is null || period != _period)
        {
            Open(period);
        }

        while (!bytes.IsEmpty)
        {
            var take = FitToLimit(bytes);
            if (take == 0)
            {
                Roll();
                take = FitToLimit(bytes);
                if (take == 0)
                {
                    // A single line larger than the limit still gets written, alone in its file.
                    take = bytes.IndexOf((byte)'\n') is var end and >= 0 ? end + 1 : bytes.Length;
                }
            }

            _file!.Write(bytes[..take]);
            bytes = bytes[take..];
            if (!bytes.IsEmpty)
            {
                Roll();
            }
        }

        _file!.Flush(_options.FlushToDisk);
    }

    private int FitToLimit(ReadOnlySpan<byte> bytes)
    {
        if (_options.FileSizeLimitBytes is not { } limit)
        {
            return bytes.Length;
        }

        var room = limit - _file!.Length;
        if (room >= bytes.Length)
        {
            return bytes.Length;
        }

        if (room <= 0)
        {
            return 0;
        }

        var lastNewline = bytes[..(int)room].LastIndexOf((byte)'\n');
        return lastNewline + 1;
    }

    private string PeriodOf(DateTime utc) => _options.Interval switch
    {
        RollInterval.Day => utc.ToString("yyyyMMdd", CultureInfo.InvariantCulture),
        RollInterval.Hour => utc.ToString("yyyyMMddHH", CultureInfo.InvariantCulture),
        RollInterval.Minute => utc.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture),
        _ => "",
    };

    private string PathFor(string period, int sequence)
    {
        var name = _stem + (period.Length > 0 ? "-" + period : "") + (sequence > 0 ? $"_{sequence:000}" : "") + _extension;
        return System.IO.Path.Combine(_directory, name);
    }

    private void Open(string period)
    {
        _file?.Dispose();
        Directory.CreateDirectory(_directory);
        _period = period;

        // Continue the newest file of this period after a restart rather than starting a parallel one.
        _sequence = ExistingFiles()
            .Select(f => _namePattern.Match(System.IO.Path.GetFileName(f)))
            .Where(m => (m.Groups["period"].Success ? m.Groups["period"].Value : "") == period)
            .Select(m => m.Groups["seq"].Success ? int.Parse(m.Groups["seq"].Value, CultureInfo.InvariantCulture) : 0)
            .DefaultIfEmpty(0)
            .Max();
        OpenCurrent();
        ApplyRetention();
    }

    private void Roll()
    {
        _file?.Dispose();
        _sequence++;
        OpenCurrent();
        ApplyRetention();
    }

    private void OpenCurrent() =>
        _file = new FileStream(PathFor(_period!, _sequence), FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);

    private IEnumerable<string> ExistingFiles() =>
        Directory.EnumerateFiles(_directory, _stem + "*" + _extension).Where(f => _namePattern.IsMatch(System.IO.Path.GetFileName(f)));

    private void ApplyRetention()
    {
        if (_options.RetainedFileCountLimit is not { } keep)
        {
            return;
        }

        var files = ExistingFiles().OrderBy(f => System.IO.Path.GetFileName(f), StringComparer.Ordinal).ToList();
        foreach (var old in files.Take(Math.Max(0, files.Count - keep)))
        {
            if (old != _file?.Name)
            {
                File.Delete(old);
            }
        }
    }

    /// <summary>Flushes and closes the current file.</summary>
    public void Dispose()
    {
        _file?.Flush(_options.FlushToDisk);
        _file?.Dispose();
        _file = null;
    }
}
