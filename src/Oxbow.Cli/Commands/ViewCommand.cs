using System.CommandLine;
using System.IO.Compression;
using System.Text.Json;

namespace Oxbow.Cli.Commands;

/// <summary><c>oxbow view [FILES…]</c>: stored segments (<c>.ndjson</c>, <c>.ndjson.gz</c>, or directories of them) or stdin.</summary>
internal static class ViewCommand
{
    public static Command Create()
    {
        var command = new Command("view", "Print stored events: files, directories of a store, or stdin.");
        var files = new Argument<string[]>("files") { Arity = ArgumentArity.ZeroOrMore, Description = "segment files or directories (default: stdin)" };
        var pretty = new Option<bool>("--pretty") { Description = "one readable line per event: time, level, type, short id, host, duration, fields" };
        var group = new Option<bool>("--group") { Description = "print the events that share an id together" };
        command.Arguments.Add(files);
        command.Options.Add(pretty);
        command.Options.Add(group);
        command.SetAction(parse =>
        {
            var paths = parse.GetValue(files) ?? [];
            var output = Console.Out;
            try
            {
                var lines = paths.Length == 0 ? ReadLines(Console.In) : paths.SelectMany(Expand).SelectMany(ReadFile);
                if (parse.GetValue(group))
                {
                    // Groups in order of first appearance; a blank line between groups.
                    var groups = new Dictionary<string, List<string>>();
                    var order = new List<string>();
                    foreach (var line in lines)
                    {
                        var id = IdOf(line);
                        if (!groups.TryGetValue(id, out var list))
                        {
                            groups[id] = list = [];
                            order.Add(id);
                        }

                        list.Add(line);
                    }

                    for (var i = 0; i < order.Count; i++)
                    {
                        if (i > 0)
                        {
                            output.WriteLine();
                        }

                        foreach (var line in groups[order[i]])
                        {
                            output.WriteLine(parse.GetValue(pretty) ? PrettyLine.Format(line) : line);
                        }
                    }
                }
                else
                {
                    foreach (var line in lines)
                    {
                        output.WriteLine(parse.GetValue(pretty) ? PrettyLine.Format(line) : line);
                    }
                }

                return 0;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                return ControlClient.Fail(ex.Message);
            }
            catch (JsonException ex)
            {
                return ControlClient.Fail("not an event: " + ex.Message);
            }
        });
        return command;
    }

    private static IEnumerable<string> Expand(string path)
    {
        if (Directory.Exists(path))
        {
            return Directory.EnumerateFiles(path, "*.ndjson*", SearchOption.AllDirectories)
                .Where(f => f.EndsWith(".ndjson", StringComparison.Ordinal) || f.EndsWith(".ndjson.gz", StringComparison.Ordinal))
                .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}_oxbow{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal);
        }

        return File.Exists(path) ? [path] : throw new FileNotFoundException($"{path}: no such file or directory");
    }

    private static IEnumerable<string> ReadFile(string path)
    {
        using var file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(stream);
        // An open segment may end in a line still being written: only whole lines count.
        string? pending = null;
        while (reader.ReadLine() is { } line)
        {
            if (pending is not null)
            {
                yield return pending;
            }

            pending = line.Length > 0 ? line : null;
        }

        if (pending is not null && IsWholeJson(pending))
        {
            yield return pending;
        }
    }

    private static IEnumerable<string> ReadLines(TextReader reader)
    {
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                yield return line;
            }
        }
    }

    private static bool IsWholeJson(string line)
    {
        try
        {
            using var _ = JsonDocument.Parse(line);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string IdOf(string line)
    {
        using var document = JsonDocument.Parse(line);
        return document.RootElement.TryGetProperty("id", out var id) ? id.ToString() : "";
    }
}
