using Oxbow.Codec;
using Oxbow.Pipeline;

namespace Oxbow.Testing;

/// <summary>
/// Records the events emitted by the current logical flow (and flows started from it) so application tests can
/// assert on them. It works whether or not Oxbow is configured, and with loggers created before it started,
/// because loggers look for a capture at each call. Captures in concurrent tests do not see each other's events.
/// </summary>
/// <remarks>
/// <para>A capture intercepts: while it is active, the events of its flow go to the capture only, not to the
/// configured sinks (files, network, console), so a test never writes to real destinations.</para>
/// <para>Its level is the configured minimum level (<see cref="OxbowOptions.MinimumLevel"/>, or <c>OXBOW_LEVEL</c>'s
/// default, info, while unconfigured), so a test sees what production would emit. Pass a level to
/// <see cref="Start"/> to see more or less.</para>
/// </remarks>
/// <example>
/// <code>
/// using var capture = OxCapture.Start();
/// service.Handle(request);
/// Assert.Equal(200L, capture.Single("request")["response.status"]);
/// </code>
/// </example>
public sealed class OxCapture : IDisposable
{
    private static readonly AsyncLocal<OxCapture?> s_current = new();
    private static int s_active;

    private readonly object _gate = new();
    private readonly List<OxbowEvent> _events = [];
    private readonly List<string> _lines = [];
    private readonly OxCapture? _previous;
    private int _disposed;

    private readonly OxLevel? _minimumLevel;

    private OxCapture(OxLevel? minimumLevel)
    {
        _minimumLevel = minimumLevel;
        _previous = s_current.Value;
        s_current.Value = this;
        Interlocked.Increment(ref s_active);
        LevelGate.Recompute();
    }

    internal static OxCapture? Current => s_current.Value;

    /// <summary>True while any capture runs, on any flow: the global floors are lowered to trace meanwhile.</summary>
    internal static bool AnyActive => Volatile.Read(ref s_active) > 0;

    /// <summary>Starts capturing the events of this flow, taking them away from the configured sinks until disposed.</summary>
    /// <param name="minimumLevel">Lowest level recorded; null (the default) follows the configured minimum level.</param>
    public static OxCapture Start(OxLevel? minimumLevel = null) => new(minimumLevel);

    /// <summary>Lowest level recorded: the one given to <see cref="Start"/>, else the configured minimum level (info while unconfigured).</summary>
    public OxLevel MinimumLevel => _minimumLevel ?? EventPipeline.Current?.Levels.Default ?? OxLevel.Info;

    /// <summary>The events so far, in the order they were emitted.</summary>
    public IReadOnlyList<OxbowEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return _events.ToArray();
            }
        }
    }

    /// <summary>The exact canonical JSON lines so far, without newlines.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                return _lines.ToArray();
            }
        }
    }

    /// <summary>Events of exactly <paramref name="type"/>.</summary>
    public IReadOnlyList<OxbowEvent> OfType(string type) => Events.Where(e => e.Type == type).ToArray();

    /// <summary>The one event of <paramref name="type"/>; throws when there are none or several.</summary>
    public OxbowEvent Single(string type)
    {
        var matches = OfType(type);
        return matches.Count == 1
            ? matches[0]
            : throw new InvalidOperationException($"Expected one '{type}' event but captured {matches.Count}: [{string.Join(", ", Events.Select(e => e.Type))}].");
    }

    /// <summary>Forgets everything captured so far.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _events.Clear();
            _lines.Clear();
        }
    }

    internal void Receive(ReadOnlySpan<byte> line)
    {
        var trimmed = line.Length > 0 && line[^1] == (byte)'\n' ? line[..^1] : line;
        var parsed = CanonicalJson.Parse(trimmed);
        var text = System.Text.Encoding.UTF8.GetString(trimmed);
        lock (_gate)
        {
            _events.Add(parsed);
            _lines.Add(text);
        }
    }

    /// <summary>Stops capturing and restores any capture that was active before.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (s_current.Value == this)
        {
            s_current.Value = _previous;
        }

        Interlocked.Decrement(ref s_active);
        LevelGate.Recompute();
    }
}
