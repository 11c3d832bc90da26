using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Oxbow;
using Oxbow.Extensions.Logging.Configuration;
using Oxbow.Extensions.Logging.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary><c>builder.Services.AddOxbow(builder.Configuration.GetSection("Oxbow"))</c>.</summary>
public static class OxbowServiceCollectionExtensions
{
    /// <summary>
    /// Runs Oxbow in this host, configured from <paramref name="configuration"/> (an <c>"Oxbow"</c> section; the schema
    /// is in docs/configuration.md), then from <paramref name="configure"/>, on top of the <c>OXBOW_*</c> variables.
    /// </summary>
    /// <remarks>
    /// The pipeline becomes the global Oxbow when first resolved (at the latest when the host starts) and is shut down
    /// when the container is disposed; a hosted service drains it when the application stops. When the configuration
    /// reloads (appsettings.json edited), levels change at once without rebuilding sinks. Options are available as
    /// <c>IOptions&lt;OxbowOptions&gt;</c> and <c>IOptionsMonitor&lt;OxbowOptions&gt;</c>, the running pipeline as
    /// <see cref="OxbowPipeline"/>. A bad setting fails when the pipeline is first resolved, with the key's path.
    /// </remarks>
    public static IServiceCollection AddOxbow(this IServiceCollection services, IConfiguration configuration, Action<OxbowOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.Configure<OxbowOptions>(options => OxbowConfigurationReader.Apply(configuration, options));
        services.AddSingleton<IOptionsChangeTokenSource<OxbowOptions>>(new ConfigurationChangeTokenSource<OxbowOptions>(Options.Options.DefaultName, configuration));
        return AddOxbowCore(services, configure);
    }

    /// <summary>Runs Oxbow in this host, configured in code on top of the <c>OXBOW_*</c> variables; see <see cref="AddOxbow(IServiceCollection, IConfiguration, Action{OxbowOptions}?)"/>.</summary>
    public static IServiceCollection AddOxbow(this IServiceCollection services, Action<OxbowOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddOxbowCore(services, configure);
    }

    private static IServiceCollection AddOxbowCore(IServiceCollection services, Action<OxbowOptions>? configure)
    {
        services.AddOptions();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddTransient<IOptionsFactory<OxbowOptions>, OxbowOptionsFactory>();
        services.TryAddSingleton<OxbowHost>();
        services.TryAddSingleton(provider => provider.GetRequiredService<OxbowHost>().Pipeline);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Hosting.IHostedService, OxbowFlushService>());
        return services;
    }
}
