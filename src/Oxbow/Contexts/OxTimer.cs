namespace Oxbow;

/// <summary>
/// Times a block: <c>using (Ox.Time("db_time")) { … }</c> sets the elapsed seconds (a double) on the context that
/// was current when the timer started. Outside any context it does nothing. A struct, so timing allocates nothing.
/// </summary>
public readonly struct OxTimer : IDisposable
{
    private readonly OxContext? _context;
    private readonly string? _key;
    private readonly TimeProvider? _time;
    private readonly long _started;

    internal OxTimer(OxContext? context, string key, TimeProvider time)
    {
        _context = context;
        _key = key;
        _time = time;
        _started = context is null ? 0 : time.GetTimestamp();
    }

    /// <summary>Stops the timer and records the elapsed seconds.</summary>
    public void Dispose()
    {
        if (_context is not null)
        {
            _context.SetTimer(_key!, _time!.GetElapsedTime(_started).TotalSeconds);
        }
    }
}
