using System.Diagnostics;
using Oxbow.Contexts;
using Oxbow.Pipeline;

namespace Oxbow;

/// <summary>
/// An open event: fields are collected while it is open and one event is emitted when it is disposed.
/// Create with <see cref="Ox.Context(string, string?, Sampling?)"/>; it becomes the current context of the logical
/// flow (it follows <c>await</c>, <c>Task.Run</c> and thread-pool hops) until disposed.
/// </summary>
/// <remarks>
/// Thread-safe: concurrent tasks may set fields on a shared context. After disposal every data operation on this
/// object throws <see cref="InvalidOperationException"/>; disposing twice emits once.
/// </remarks>
public sealed class OxContext : IDisposable
{
    private static readonly AsyncLocal<OxContext?> s_current = new();

    // Set once the first context begins. Until then no flow can have one, so a log call skips the AsyncLocal read
    // (about 3.5 ns, measured) that most programs which never begin a context would otherwise pay on every call.
    private static volatile bool s_everBegun;

    /// <summary>What <see cref="Ox.Context(string, string?, Sampling?)"/> returns while Oxbow is unconfigured: accepts everything, records nothing.</summary>
    internal static readonly OxContext Noop = new();

    private readonly object _gate = new();
    private readonly FieldMap _body = new();
    private readonly bool _isNoop;
    private readonly DateTime _start;
    private readonly nint _openedUnderDispatch;
    private readonly FieldBindings? _ambient;
    private Dictionary<string, bool>? _childDecisions;
    private Exception? _exception;
    private byte[]? _idJson;
    private byte[]? _logTypeJson;
    private int _ended;

    private OxContext()
    {
        _isNoop = true;
        Type = "noop";
        Id = new string('0', OxId.Length);
        Enabled = false;
    }

    private OxContext(string type, string id, OxContext? parent, OxContext? previous, bool enabled, DateTime start)
    {
        Type = type;
        Id = id;
        Parent = parent;
        Previous = previous;
        Enabled = enabled;
        _start = start;
        _openedUnderDispatch = ExceptionTracker.CurrentDispatch();
        _ambient = AmbientFields.Current;
        var activity = Activity.Current;
        if (activity is not null && activity.TraceId != default)
        {
            TraceId = activity.TraceId.ToHexString();
            SpanId = activity.SpanId.ToHexString();
        }
        else
        {
            TraceId = parent?.TraceId;
            SpanId = parent?.SpanId;
        }
    }

    /// <summary>The innermost open context of the current flow, or null.</summary>
    public static OxContext? Current => s_everBegun ? s_current.Value : null;

    /// <summary>Resolved type, such as <c>request.db</c>.</summary>
    public string Type { get; }

    /// <summary>Event id, shared with the parent for sub-events.</summary>
    public string Id { get; }

    /// <summary>The context this one hangs off (shares its id), or null for a top-level context.</summary>
    public OxContext? Parent { get; }

    /// <summary>False when sampled out (or under a sampled-out parent): nothing is recorded or emitted.</summary>
    public bool Enabled { get; }

    /// <summary>True once disposed.</summary>
    public bool IsEnded => Volatile.Read(ref _ended) == 1;

    /// <summary>Level of the emitted event: <see cref="OxLevel.Info"/> unless set, <see cref="OxLevel.Error"/> when an exception was recorded.</summary>
    public OxLevel Level { get; set; } = OxLevel.Info;

    /// <summary>W3C trace id of the ambient <see cref="Activity"/> when the context opened, else the parent's.</summary>
    public string? TraceId { get; }

    /// <summary>W3C span id of the ambient <see cref="Activity"/> when the context opened, else the parent's, unless <see cref="SetSpan"/> changed it.</summary>
    public string? SpanId { get; private set; }

    /// <summary>
    /// Records that this context's work ran as span <paramref name="spanId"/> (16 lowercase hex digits) of its trace,
    /// for example the client span an <c>HttpClient</c> call made below the caller's: the event's <c>span_id</c> becomes
    /// that span, and the span the context opened in becomes its <c>parent_span_id</c> field.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="spanId"/> is not 16 lowercase hex digits.</exception>
    public void SetSpan(string spanId)
    {
        if (spanId is not { Length: 16 } || !spanId.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f')))
        {
            throw new ArgumentException($"'{spanId}' is not a span id (16 lowercase hex digits).", nameof(spanId));
        }

        if (SpanId is { } opened && opened != spanId)
        {
            Set("parent_span_id", opened);
        }

        SpanId = spanId;
    }

    /// <summary>The context that was current when this one opened; restored when this one ends.</summary>
    internal OxContext? Previous { get; }

    internal byte[] IdJson => _idJson ??= System.Text.Encoding.UTF8.GetBytes($"\"{Id}\"");

    internal byte[] LogTypeJson => _logTypeJson ??= System.Text.Encoding.UTF8.GetBytes($"\"{Type}.log\"");

    internal static OxContext Open(string name, string? id, Sampling? sample)
    {
        if (id is not null && !OxId.IsValid(id))
        {
            throw new ArgumentException($"Invalid id '{id}': an id is 32 lowercase hex digits.", nameof(id));
        }

        if (!LevelGate.Active)
        {
            ContextNaming.Validate(name);
            return Noop;
        }

        ExceptionTracker.EnsureInstalled();
        var previous = s_current.Value;
        var (type, parent) = ContextNaming.Resolve(name, previous);
        var now = Emitter.Time.GetUtcNow().UtcDateTime;
        id ??= parent?.Id ?? OxId.NewId(now);
        var enabled = (previous is null || previous.Enabled) && (parent is null || parent.Enabled) && Decide(type, parent, previous, sample);
        var context = new OxContext(type, id, parent, previous, enabled, now);
        s_everBegun = true;
        s_current.Value = context;
        return context;
    }

    private static bool Decide(string type, OxContext? parent, OxContext? innermost, Sampling? sample)
    {
        if (sample is not { } rule)
        {
            return true;
        }

        var decider = rule.Decider switch
        {
            SampleDecider.Parent => parent,
            SampleDecider.Top => ContextNaming.Outermost(innermost),
            SampleDecider.Named => FindOpen(innermost, rule.ContextType!),
            _ => null,
        };
        if (decider is null)
        {
            return Roll(rule.Rate);
        }

        lock (decider._gate)
        {
            decider._childDecisions ??= new Dictionary<string, bool>(StringComparer.Ordinal);
            if (!decider._childDecisions.TryGetValue(type, out var keep))
            {
                keep = Roll(rule.Rate);
                decider._childDecisions[type] = keep;
            }

            return keep;
        }
    }

    private static bool Roll(double rate) => rate >= 1 || (rate > 0 && (EventPipeline.Current?.SampleSource ?? Random.Shared.NextDouble)() < rate);

    private static OxContext? FindOpen(OxContext? context, string type)
    {
        for (; context is not null; context = context.Previous)
        {
            if (context.Type == type)
            {
                return context;
            }
        }

        return null;
    }

    /// <summary>Sets a field; dotted keys nest, and a map merges into an existing map.</summary>
    public void Set(string key, object? value) => Mutate(key, value, static (body, k, v) => body.Set(k, v));

    /// <summary>Sets a field to an array of the values: always an array, even of one value, so the field's JSON type never changes from event to event.</summary>
    public void Set(string key, params object?[] values) => Mutate(key, values, static (body, k, v) => body.Set(k, v));

    /// <summary>Appends to the array at <paramref name="key"/>.</summary>
    public void Append(string key, object? value) => Mutate(key, value, static (body, k, v) => body.Append(k, v));

    /// <summary>Adds to the counter at <paramref name="key"/>, which starts at 0.</summary>
    public void Add(string key, double amount = 1) => Mutate(key, amount, static (body, k, v) => body.Add(k, (double)v!));

    /// <summary>Times the enclosed block; its elapsed seconds are set at <paramref name="key"/> as a double.</summary>
    public OxTimer Time(string key)
    {
        ThrowIfEnded();
        ArgumentException.ThrowIfNullOrEmpty(key);
        return new OxTimer(Enabled ? this : null, key, Emitter.Time);
    }

    /// <summary>Records an exception that the code handled itself; the event's level becomes <see cref="OxLevel.Error"/>.</summary>
    public void Fail(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ThrowIfEnded();
        lock (_gate)
        {
            _exception = exception;
        }
    }

    internal void SetTimer(string key, double seconds)
    {
        if (!IsEnded)
        {
            lock (_gate)
            {
                _body.Set(key, seconds);
            }
        }
    }

    private void Mutate(string key, object? value, Action<FieldMap, string, object?> operation)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ThrowIfEnded();
        if (!Enabled)
        {
            return;
        }

        lock (_gate)
        {
            operation(_body, key, value);
        }
    }

    private void ThrowIfEnded()
    {
        if (IsEnded)
        {
            throw new InvalidOperationException($"Context '{Type}' (id {Id}) has ended; it can no longer record fields.");
        }
    }

    /// <summary>Ends the context and emits its event (once). An exception leaving the <c>using</c> block is recorded.</summary>
    public void Dispose()
    {
        if (_isNoop || Interlocked.Exchange(ref _ended, 1) == 1)
        {
            return;
        }

        var inFlight = ExceptionTracker.InFlight(_openedUnderDispatch);
        RestoreFlow();
        if (!Enabled)
        {
            return;
        }

        try
        {
            var end = Emitter.Time.GetUtcNow().UtcDateTime;
            var identity = Emitter.Identity.Identity;
            FieldMap body;
            OxLevel level;
            lock (_gate)
            {
                _exception ??= inFlight;
                if (_exception is not null)
                {
                    _body.SetRaw("exception", ExceptionData.Capture(_exception));
                    if (Level < OxLevel.Error)
                    {
                        Level = OxLevel.Error;
                    }
                }

                if (_ambient is not null)
                {
                    // Ox.BindScope binds to every event of the flow, contexts included; the context's own fields win.
                    foreach (var field in _ambient.Fields)
                    {
                        _body.SetIfAbsent(field.Key, field.Value);
                    }
                }

                body = _body;
                level = Level;
            }

            Emitter.Emit(new OxbowEvent
            {
                Id = Id,
                Type = Type,
                Start = Timestamps.TruncateToMicroseconds(_start),
                End = Timestamps.TruncateToMicroseconds(end),
                Level = level,
                Host = identity.Host,
                Pid = identity.Pid,
                App = identity.App,
                TraceId = TraceId,
                SpanId = SpanId,
                Body = body,
            });
        }
        catch (Exception ex)
        {
            Emitter.ReportInternalError(ex);
        }
    }

    /// <summary>Makes no context current in this flow until the returned scope is disposed.</summary>
    internal static IDisposable ClearCurrent()
    {
        var previous = s_current.Value;
        s_current.Value = null;
        return new Restore(previous);
    }

    private sealed class Restore(OxContext? previous) : IDisposable
    {
        public void Dispose() => s_current.Value = previous;
    }

    private void RestoreFlow()
    {
        // Only unwind if this context is on the current flow's stack; disposal from another flow changes nothing here.
        for (var context = s_current.Value; context is not null; context = context.Previous)
        {
            if (context == this)
            {
                s_current.Value = Previous;
                return;
            }
        }
    }
}
