using System.Text;
using Oxbow.Sinks;
using Oxbow.Tests.Support;

namespace Oxbow.Tests;

[Collection(Support.GlobalState.Name)]
public sealed class RollingFileSinkTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("oxbow-files-").FullName;
    private readonly ManualTimeProvider _clock = new();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static EventBatch Batch(int from, int count)
    {
        var text = new StringBuilder();
        for (var i = from; i < from + count; i++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{{\"n\":{i:00000},\"pad\":\"{new string('p', 79)}\"}}\n");
        }

        return new EventBatch(Encoding.UTF8.GetBytes(text.ToString()), count);
    }

    private string[] Files() => Directory.GetFiles(_directory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    private RollingFileSink Sink(Action<RollingFileOptions> configure)
    {
        var options = new RollingFileOptions { Path = Path.Combine(_directory, "app.ndjson"), TimeProvider = _clock, RetainedFileCountLimit = null };
        configure(options);
        return new RollingFileSink(options);
    }

    [Fact]
    public void Files_roll_by_size_without_splitting_an_event()
    {
        using (var sink = Sink(o => { o.Interval = RollInterval.Infinite; o.FileSizeLimitBytes = 1000; }))
        {
            sink.Emit(Batch(0, 25));
            sink.Emit(Batch(25, 25));
        }

        // Each line is 100 bytes, so ten fit in 1000 bytes.
        Assert.Equal(["app.ndjson", "app_001.ndjson", "app_002.ndjson", "app_003.ndjson", "app_004.ndjson"], Files());
        var all = Files().SelectMany(f => File.ReadAllLines(Path.Combine(_directory, f))).ToList();
        Assert.Equal(50, all.Count);
        Assert.All(Files(), f => Assert.Equal(1000, new FileInfo(Path.Combine(_directory, f)).Length));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"{{\"n\":{i:00000},"), all.Select(l => l[..11]));
    }

    [Fact]
    public void Files_roll_by_time_on_the_configured_clock()
    {
        using (var sink = Sink(o => o.Interval = RollInterval.Hour))
        {
            sink.Emit(Batch(0, 3));
            _clock.Advance(TimeSpan.FromHours(1));
            sink.Emit(Batch(3, 2));
        }

        Assert.Equal(["app-2026112203.ndjson", "app-2026112204.ndjson"], Files());
        Assert.Equal(3, File.ReadAllLines(Path.Combine(_directory, "app-2026112203.ndjson")).Length);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(_directory, "app-2026112204.ndjson")).Length);
    }

    [Fact]
    public void Only_the_newest_files_are_kept()
    {
        using (var sink = Sink(o => { o.Interval = RollInterval.Day; o.FileSizeLimitBytes = 1000; o.RetainedFileCountLimit = 3; }))
        {
            sink.Emit(Batch(0, 60));
        }

        Assert.Equal(["app-20261122_003.ndjson", "app-20261122_004.ndjson", "app-20261122_005.ndjson"], Files());
        Assert.StartsWith("{\"n\":00059,", File.ReadAllLines(Path.Combine(_directory, "app-20261122_005.ndjson"))[^1]);
    }

    [Fact]
    public void A_restarted_sink_appends_to_the_newest_file_of_the_period()
    {
        using (var sink = Sink(o => o.FileSizeLimitBytes = 1000))
        {
            sink.Emit(Batch(0, 15));
        }

        using (var sink = Sink(o => o.FileSizeLimitBytes = 1000))
        {
            sink.Emit(Batch(15, 2));
        }

        Assert.Equal(["app-20261122.ndjson", "app-20261122_001.ndjson"], Files());
        Assert.Equal(7, File.ReadAllLines(Path.Combine(_directory, "app-20261122_001.ndjson")).Length);
    }
}
