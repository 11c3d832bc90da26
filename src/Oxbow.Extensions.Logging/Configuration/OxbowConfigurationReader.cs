using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Oxbow.Rendering;
using Oxbow.Sinks;
using Oxbow.Sinks.Syslog;

namespace Oxbow.Extensions.Logging.Configuration;

/// <summary>
/// Reads an <c>"Oxbow"</c> configuration section onto <see cref="OxbowOptions"/>; the schema is in docs/configuration.md.
/// A key it does not know, or a value it cannot read, is an error naming the key's full path: a typo in
/// appsettings.json must not silently turn logging off.
/// </summary>
internal static class OxbowConfigurationReader
{
    private static readonly string[] TopLevelKeys =
        ["App", "Host", "MinimumLevel", "Levels", "Sinks", "Redact", "QueueCapacityBytes", "QueueMaxBytes", "QueueFullMode", "BatchInterval", "MaxEventBytes", "ShutdownTimeout", "SinkErrors"];

    public static void Apply(IConfiguration section, OxbowOptions options)
    {
        foreach (var child in section.GetChildren())
        {
            if (!TopLevelKeys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                throw Error(child, $"is not an Oxbow setting; the settings are {string.Join(", ", TopLevelKeys)}");
            }
        }

        if (section["App"] is { Length: > 0 } app)
        {
            options.App = app;
        }

        if (section["Host"] is { Length: > 0 } host)
        {
            options.Host = host;
        }

        if (section.GetSection("MinimumLevel") is { Value: not null } minimum)
        {
            options.MinimumLevel = Level(minimum);
        }

        foreach (var level in section.GetSection("Levels").GetChildren())
        {
            options.Levels[level.Key] = Level(level);
        }

        if (section.GetSection("Redact").GetChildren().Select(c => c.Value).OfType<string>().ToArray() is { Length: > 0 } redact)
        {
            options.Redaction = new RedactionPolicy(RedactionPolicy.DefaultPatterns.Concat(redact));
        }

        SetScalars(section, options, ["QueueCapacityBytes", "QueueMaxBytes", "QueueFullMode", "BatchInterval", "MaxEventBytes", "ShutdownTimeout"]);
        if (section.GetSection("SinkErrors") is { Value: { } sinkErrors } sinkErrorsSection)
        {
            options.SinkFailureOutput = sinkErrors.Trim().ToLowerInvariant() switch
            {
                "off" or "none" => null,
                "stderr" or "on" => Console.Error,
                _ => throw Error(sinkErrorsSection, "is not 'stderr' or 'off'"),
            };
        }

        var sinks = section.GetSection("Sinks");
        if (sinks.Exists())
        {
            // A sink list in configuration is the whole list: it replaces sinks that OXBOW_* variables added.
            options.Sinks.Clear();
            foreach (var sink in sinks.GetChildren())
            {
                AddSink(sink, options);
            }
        }
    }

    private static void AddSink(IConfigurationSection sink, OxbowOptions options)
    {
        var typeSection = sink.GetSection("Type");
        var minimum = sink.GetSection("MinimumLevel") is { Value: not null } levelSection ? Level(levelSection) : OxLevel.Trace;
        string[] common = ["Type", "MinimumLevel"];
        switch (typeSection.Value?.Trim().ToLowerInvariant())
        {
            case "file":
                var file = new RollingFileOptions();
                SetAll(sink, file, common);
                if (string.IsNullOrWhiteSpace(file.Path))
                {
                    throw Error(sink.GetSection("Path"), "is required for a file sink");
                }

                options.WriteTo(new RollingFileSink(file), minimum);
                break;
            case "network" or "oxbow":
                var network = new NetworkSinkOptions { ClientName = $"{options.App}@{options.Host}" };
                SetAll(sink, network, common);
                if (network.Endpoints.Count == 0)
                {
                    throw Error(sink.GetSection("Endpoints"), "is required for a network sink (host:port, comma-separated or a list)");
                }

                options.WriteTo(new NetworkSink(network), minimum);
                break;
            case "syslog":
                var syslog = new SyslogSinkOptions();
                SetAll(sink, syslog, common);
                options.WriteTo(new SyslogSink(syslog), minimum);
                break;
            case "console":
                RejectUnknown(sink, [.. common, "Format"]);
                IEventRenderer renderer = sink["Format"]?.Trim().ToLowerInvariant() switch
                {
                    null or "pretty" => new ConsoleRenderer(),
                    "json" => new JsonRenderer(),
                    "logfmt" => new LogfmtRenderer(),
                    "cee" => new CeeRenderer(),
                    _ => throw Error(sink.GetSection("Format"), "is not one of pretty, json, logfmt, cee"),
                };
                options.WriteToConsole(renderer, minimum);
                break;
            default:
                throw Error(typeSection, "must be one of file, network, syslog, console");
        }
    }

    private static OxLevel Level(IConfigurationSection section) =>
        OxLevels.TryParse(section.Value, out var level) ? level : throw Error(section, $"is not a level; use one of {OxLevels.ValidNames}");

    private static void SetScalars(IConfiguration section, object target, string[] keys)
    {
        foreach (var key in keys)
        {
            if (section.GetSection(key) is { Value: not null } child)
            {
                Set(child, target);
            }
        }
    }

    /// <summary>Sets every key of <paramref name="section"/> (but <paramref name="skip"/>) as the property of that name on <paramref name="target"/>.</summary>
    private static void SetAll(IConfigurationSection section, object target, string[] skip)
    {
        foreach (var child in section.GetChildren())
        {
            if (!skip.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                Set(child, target);
            }
        }
    }

    private static void RejectUnknown(IConfigurationSection section, string[] known)
    {
        foreach (var child in section.GetChildren())
        {
            if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                throw Error(child, $"is not a setting of this sink; the settings are {string.Join(", ", known)}");
            }
        }
    }

    private static void Set(IConfigurationSection child, object target)
    {
        var property = target.GetType().GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
        if (property is not { CanWrite: true })
        {
            var names = target.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && Readable(p.PropertyType)).Select(p => p.Name);
            throw Error(child, $"is not a setting here; the settings are {string.Join(", ", names)}");
        }

        property.SetValue(target, Convert(child, property.PropertyType));
    }

    private static bool Readable(Type type) =>
        type == typeof(string) || type == typeof(bool) || type == typeof(int) || type == typeof(long) || type == typeof(TimeSpan)
        || type.IsEnum || type == typeof(IReadOnlyList<string>) || (Nullable.GetUnderlyingType(type) is { } inner && Readable(inner));

    private static object? Convert(IConfigurationSection child, Type type)
    {
        if (type == typeof(IReadOnlyList<string>))
        {
            // A list ("Endpoints": ["a:1", "b:2"]) or one comma-separated string ("a:1,b:2").
            var items = child.Value is { } text
                ? text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                : child.GetChildren().Select(c => c.Value).OfType<string>().ToArray();
            return items;
        }

        var value = child.Value ?? throw Error(child, "needs a value");
        var target = Nullable.GetUnderlyingType(type) ?? type;
        try
        {
            if (target == typeof(string))
            {
                return value;
            }

            if (target == typeof(bool))
            {
                return bool.Parse(value);
            }

            if (target == typeof(int))
            {
                return int.Parse(value, CultureInfo.InvariantCulture);
            }

            if (target == typeof(long))
            {
                return long.Parse(value, CultureInfo.InvariantCulture);
            }

            if (target == typeof(TimeSpan))
            {
                return TimeSpan.Parse(value, CultureInfo.InvariantCulture);
            }

            if (target.IsEnum)
            {
                return Enum.Parse(target, value, ignoreCase: true);
            }
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
        {
            throw Error(child, $"'{value}' is not a valid {target.Name}{(target.IsEnum ? $" ({string.Join(", ", Enum.GetNames(target))})" : "")}");
        }

        throw Error(child, $"cannot be set from configuration (a {target.Name}); set it in code with AddOxbow(configuration, o => ...)");
    }

    private static InvalidOperationException Error(IConfigurationSection section, string problem) =>
        new($"Oxbow configuration: {section.Path} {problem}.");
}
