using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Configuration;
using Microsoft.Extensions.Options;
using Oxbow.Extensions.Logging;
using Oxbow.Extensions.Logging.Hosting;

namespace Microsoft.Extensions.Logging;

/// <summary><c>builder.Logging.AddOxbow()</c>.</summary>
public static class OxbowLoggingBuilderExtensions
{
    /// <summary>
    /// Adds the Oxbow provider (alias <c>Oxbow</c>): every enabled <c>ILogger</c> call becomes an Oxbow event, written
    /// to the pipeline of <c>services.AddOxbow(...)</c> when there is one, else to the global Oxbow. The provider's
    /// options bind from <c>Logging:Oxbow</c> and then <paramref name="configure"/>; DI creates and disposes it.
    /// </summary>
    public static ILoggingBuilder AddOxbow(this ILoggingBuilder builder, Action<OxbowLoggerOptions>? configure = null)
    {
        builder.AddConfiguration();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider, OxbowLoggerProvider>(
            provider => new OxbowLoggerProvider(provider.GetRequiredService<IOptionsMonitor<OxbowLoggerOptions>>(), provider.GetService<OxbowHost>())));
        LoggerProviderOptions.RegisterProviderOptions<OxbowLoggerOptions, OxbowLoggerProvider>(builder.Services);
        if (configure is not null)
        {
            builder.Services.Configure(configure);
        }

        return builder;
    }
}
