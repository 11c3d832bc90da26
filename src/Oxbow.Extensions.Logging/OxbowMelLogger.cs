using Microsoft.Extensions.Logging;

namespace Oxbow.Extensions.Logging;

/// <summary>One category's logger; see <see cref="OxbowLoggerProvider"/> for what an event holds.</summary>
internal sealed class OxbowMelLogger(string category, OxLogger logger, OxbowLoggerProvider provider) : ILogger
{
    private const string OriginalFormat = "{OriginalFormat}";

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => provider.Options.IncludeScopes ? provider.Scopes.Push(state) : null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logger.IsEnabled(Map(logLevel));

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        List<KeyValuePair<string, object?>> fields = [new("category", category)];
        if (eventId.Id != 0)
        {
            fields.Add(new("event_id", eventId.Id));
        }

        string? template = null;
        List<KeyValuePair<string, object?>> parameters = [];
        if (state is IReadOnlyList<KeyValuePair<string, object?>> structured)
        {
            foreach (var pair in structured)
            {
                if (pair.Key == OriginalFormat)
                {
                    template = pair.Value as string;
                }
                else
                {
                    parameters.Add(pair);
                }
            }
        }

        if (template is not null)
        {
            fields.Add(new("template", template));
        }

        fields.Add(new("message", formatter(state, exception)));
        if (provider.Options.IncludeScopes)
        {
            AddScopes(fields);
        }

        // Parameters last: on a name clash with a scope, the call's own value wins.
        fields.AddRange(parameters);
        var name = !string.IsNullOrEmpty(eventId.Name) ? eventId.Name : template ?? category;
        logger.Log(Map(logLevel), exception, name, fields);
    }

    private void AddScopes(List<KeyValuePair<string, object?>> fields)
    {
        List<string>? texts = null;
        provider.Scopes.ForEachScope((scope, list) =>
        {
            if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (var pair in pairs)
                {
                    if (pair.Key != OriginalFormat)
                    {
                        list.Add(pair);
                    }
                }
            }
            else if (scope is not null)
            {
                (texts ??= []).Add(scope.ToString() ?? "");
            }
        }, fields);
        if (texts is not null)
        {
            fields.Add(new("scopes", texts));
        }
    }

    private static OxLevel Map(LogLevel level) => level switch
    {
        LogLevel.Trace => OxLevel.Trace,
        LogLevel.Debug => OxLevel.Debug,
        LogLevel.Information => OxLevel.Info,
        LogLevel.Warning => OxLevel.Warning,
        LogLevel.Error => OxLevel.Error,
        _ => OxLevel.Critical,
    };
}
