using Oxbow.Rendering;
using Oxbow.Sinks;

namespace Oxbow.Tests;

[Collection(Support.GlobalState.Name)]
public class OptionsTests
{
    private static OxbowOptions From(params (string Name, string Value)[] variables) =>
        OxbowOptions.FromEnvironment(name => variables.FirstOrDefault(v => v.Name == name).Value);

    [Fact]
    public void Defaults_without_environment_variables_are_documented_values()
    {
        var options = From();
        Assert.Equal(OxLevel.Info, options.MinimumLevel);
        Assert.Equal(4 * 1024 * 1024, options.QueueCapacityBytes);
        Assert.Equal(256 * 1024 * 1024, options.QueueMaxBytes);
        Assert.Equal(QueueFullMode.DropNewest, options.QueueFullMode);
        Assert.Equal(1024 * 1024, options.MaxEventBytes);
        Assert.Empty(options.Sinks);
        Assert.Same(RedactionPolicy.Default, options.Redaction);
    }

    [Fact]
    public void Environment_variables_supply_the_defaults()
    {
        var options = From(
            ("OXBOW_APP", "billing"),
            ("OXBOW_HOSTNAME", "web-7"),
            ("OXBOW_LEVEL", "warning"),
            ("OXBOW_QUEUE_BYTES", "65536"),
            ("OXBOW_QUEUE_MAX_BYTES", "1048576"),
            ("OXBOW_QUEUE_FULL", "wait"),
            ("OXBOW_FILE", Path.Combine(Path.GetTempPath(), "oxbow-options.ndjson")),
            ("OXBOW_CONSOLE", "logfmt"));
        Assert.Equal(("billing", "web-7", OxLevel.Warning, 65536, 1048576, QueueFullMode.Wait), (options.App, options.Host, options.MinimumLevel, options.QueueCapacityBytes, options.QueueMaxBytes, options.QueueFullMode));
        Assert.Collection(options.Sinks, s => Assert.IsType<RollingFileSink>(s), s => Assert.IsType<ConsoleSink>(s));
    }

    [Theory]
    [InlineData("OXBOW_LEVEL", "loud", "OXBOW_LEVEL='loud' is not a level; use one of trace, debug, info, warning, error, critical, off.")]
    [InlineData("OXBOW_QUEUE_FULL", "block", "OXBOW_QUEUE_FULL='block' is not 'drop' or 'wait'.")]
    [InlineData("OXBOW_QUEUE_BYTES", "-1", "OXBOW_QUEUE_BYTES='-1' is not a positive number of bytes.")]
    [InlineData("OXBOW_CONSOLE", "xml", "OXBOW_CONSOLE='xml' is not one of pretty, json, logfmt, cee, off.")]
    public void A_bad_environment_value_is_a_clear_error(string name, string value, string message) =>
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => From((name, value))).Message);

    [Fact]
    public void The_console_renderer_can_be_chosen_by_name()
    {
        Assert.IsType<ConsoleSink>(Assert.Single(From(("OXBOW_CONSOLE", "json")).Sinks));
        Assert.Empty(From(("OXBOW_CONSOLE", "off")).Sinks);
    }
}
