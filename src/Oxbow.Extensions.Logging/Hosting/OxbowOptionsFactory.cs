using Microsoft.Extensions.Options;

namespace Oxbow.Extensions.Logging.Hosting;

/// <summary>Builds <see cref="OxbowOptions"/> from the <c>OXBOW_*</c> variables first, so configuration and code override them, as with <c>Ox.Configure</c>.</summary>
internal sealed class OxbowOptionsFactory(
    IEnumerable<IConfigureOptions<OxbowOptions>> setups,
    IEnumerable<IPostConfigureOptions<OxbowOptions>> postConfigures,
    IEnumerable<IValidateOptions<OxbowOptions>> validations)
    : OptionsFactory<OxbowOptions>(setups, postConfigures, validations)
{
    protected override OxbowOptions CreateInstance(string name) => OxbowOptions.FromEnvironment();
}
