using Oxbow.Codec;
using Oxbow.Sinks;

namespace Oxbow.Tests.Support;

/// <summary>Keeps every line it receives.</summary>
public sealed class MemorySink : IEventSink
{
    private readonly List<string> _lines = [];

    public int Batches { get; private set; }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return _lines.ToArray();
            }
        }
    }

    public IReadOnlyList<OxbowEvent> Events => Lines.Select(l => CanonicalJson.Parse(System.Text.Encoding.UTF8.GetBytes(l))).ToArray();

    public void Emit(in EventBatch batch)
    {
        lock (_lines)
        {
            Batches++;
            foreach (var line in batch)
            {
                _lines.Add(System.Text.Encoding.UTF8.GetString(line));
            }
        }
    }
}

/// <summary>Blocks in <see cref="Emit"/> until released, to back the queue up on purpose.</summary>
public sealed class GateSink : IEventSink
{
    private readonly ManualResetEventSlim _open = new(false);
    private readonly ManualResetEventSlim _entered = new(false);
    private readonly List<string> _reports = [];

    public int Received { get; private set; }

    /// <summary>The <c>oxbow.dropped</c> lines received.</summary>
    public IReadOnlyList<OxbowEvent> DropReports => _reports.Select(l => CanonicalJson.Parse(System.Text.Encoding.UTF8.GetBytes(l))).ToArray();

    public void WaitUntilBlocked() => Assert.True(_entered.Wait(TimeSpan.FromSeconds(10)), "the writer never reached the sink");

    public void Open() => _open.Set();

    public void Emit(in EventBatch batch)
    {
        _entered.Set();
        _open.Wait();
        Received += batch.Count;
        foreach (var line in batch)
        {
            if (line.IndexOf("\"type\":\"oxbow.dropped\""u8) >= 0)
            {
                _reports.Add(System.Text.Encoding.UTF8.GetString(line));
            }
        }
    }
}

/// <summary>Always throws, to prove one bad sink does not stop the others.</summary>
public sealed class ThrowingSink : IEventSink
{
    public void Emit(in EventBatch batch) => throw new IOException("disk on fire");
}
