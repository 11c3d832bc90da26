using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Oxbow.Extensions.Logging;

/// <summary><c>builder.Logging.AddOxbow()</c>.</summary>
public static class OxbowLoggingBuilderExtensions
{
    /// <summary>Adds the Oxbow provider: every enabled <c>ILogger</c> call becomes an Oxbow event.</summary>
    public static ILoggingBuilder AddOxbow(this ILoggingBuilder builder, Action<OxbowLoggerOptions>? configure = null)
    {
        var options = new OxbowLoggerOptions();
        configure?.Invoke(options);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider>(new OxbowLoggerProvider(options)));
        return builder;
    }
}
