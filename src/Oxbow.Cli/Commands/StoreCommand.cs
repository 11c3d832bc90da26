using System.CommandLine;
using System.Globalization;
using Oxbow.Daemon;
using Oxbow.DuckDb;
using Oxbow.Query.Store;
using Oxbow.Store;
using Oxbow.Store.Compaction;

namespace Oxbow.Cli.Commands;

/// <summary><c>oxbow store zip|prune|cat|upload|archive|restore</c>: the store's lifecycle.</summary>
internal static class StoreCommand
{
    public static Command Create()
    {
        var command = new Command("store", "Manage the store: compact, prune, read ranges, archive to S3 and restore.");
        command.Subcommands.Add(Zip());
        command.Subcommands.Add(Prune());
        command.Subcommands.Add(Cat());
        foreach (var archive in ArchiveCommands.Create())
        {
            command.Subcommands.Add(archive);
        }

        return command;
    }

    private static Command Zip()
    {
        var command = new Command("zip", "Seal and compact into Parquet every hour older than the current one.");
        var data = DataDirectory.Create();
        var compression = new Option<string>("--compression") { Description = "snappy (default: faster scans) or zstd (smaller files)", DefaultValueFactory = _ => "snappy" };
        command.Options.Add(data);
        command.Options.Add(compression);
        ControlClient.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var directory = DataDirectory.Resolve(parse, data);
            if (!Directory.Exists(directory))
            {
                return ControlClient.Fail($"{directory}: no such data directory");
            }

            if (parse.GetValue(compression) is not ("zstd" or "snappy"))
            {
                return ControlClient.Fail("--compression must be snappy or zstd");
            }

            // With no daemon running, hold its lock so that none starts while open files are compacted.
            using var daemonLock = StoreLock.TryAcquire(directory, StoreLock.Daemon);
            var includeOpen = daemonLock is not null && File.Exists(OxbowDaemon.CleanStopMarker(directory));
            if (daemonLock is null)
            {
                await AskCollectorToSealAsync(parse, directory);
            }

            var progress = new Progress("hours");
            try
            {
                var summary = new Compactor(new CompactorOptions { DataDirectory = directory, Compression = parse.GetValue(compression)!, IncludeOpenFiles = includeOpen })
                    .CompactClosedHours((done, total, hour) =>
                    {
                        var where = StoreLayout.RelativeDirectory(hour.Partition.Type, hour.Partition.Day, hour.Partition.Hour);
                        var line = hour.Error is not null ? $"{where}: failed: {hour.Error.ReplaceLineEndings(" ")}"
                            : hour.Inputs > 0 ? string.Create(CultureInfo.InvariantCulture, $"{where}: {hour.Inputs} files ({hour.InputBytes:N0} bytes) -> {hour.Events:N0} events in {Path.GetFileName(hour.Output)} ({hour.OutputBytes:N0} bytes)")
                            : null;
                        progress.Report(done, total, line);
                    }, cancellationToken);
                progress.Done();
                Console.WriteLine($"compacted {summary.Hours.Count(h => h.Error is null && h.Inputs > 0)} hours, {summary.Events} events");
                if (summary.OpenFiles > 0)
                {
                    Console.WriteLine($"{summary.OpenFiles} files are still open for writing and were left as they are " +
                        "(the collector seals them when idle; they are compacted by a later zip)");
                }

                foreach (var file in summary.Hours.SelectMany(h => h.Unreadable))
                {
                    Console.WriteLine($"left out a file DuckDB cannot read (kept as it is, and left out of queries): {file}");
                }

                return summary.Failures.Count == 0 ? 0 : ControlClient.Fail($"{summary.Failures.Count} hours failed; their files are untouched:\n  " + string.Join("\n  ", summary.Failures));
            }
            catch (Exception ex) when (ex is DuckDbException or IOException or UnauthorizedAccessException)
            {
                progress.Done();
                return ControlClient.Fail(ex.Message.ReplaceLineEndings(" ").Trim());
            }
        });
        return command;
    }

    /// <summary>A running collector seals its closed hours on request, so they can be compacted now.</summary>
    private static async Task AskCollectorToSealAsync(ParseResult parse, string directory)
    {
        var file = Path.Combine(directory, "_oxbow", "control");
        // The collector writes its control URL (and, with TLS, the certificate to pin) there while it runs.
        var written = File.Exists(file) ? File.ReadAllLines(file) : [];
        var address = parse.GetValue(ControlClient.Control) ?? written.FirstOrDefault();
        if (address is null)
        {
            return;
        }

        try
        {
            using var client = ControlClient.Create(parse, TimeSpan.FromSeconds(70), address, written.Length > 1 ? written[1] : null);
            using var response = await client.PostAsync("v1/store/seal", null);
            if (!response.IsSuccessStatusCode)
            {
                Console.Error.WriteLine($"oxbow: the collector at {address} did not seal ({(int)response.StatusCode}); compacting what is sealed");
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Console.Error.WriteLine($"oxbow: cannot reach the collector at {address} ({ex.Message}); compacting what is sealed");
        }
    }

    private static Command Prune()
    {
        var command = new Command("prune", "Remove whole days older than the retention (UTC days, counting today).");
        var data = DataDirectory.Create();
        var days = new Option<int>("--retain-days") { Description = "days to keep, counting today: 1 keeps only today", Required = true };
        var overrides = new Option<string[]>("--retain") { Description = "per-type override TYPE=DAYS (repeatable)", AllowMultipleArgumentsPerToken = false };
        command.Options.Add(data);
        command.Options.Add(days);
        command.Options.Add(overrides);
        command.SetAction(parse =>
        {
            var perType = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var item in parse.GetValue(overrides) ?? [])
            {
                var eq = item.IndexOf('=');
                if (eq <= 0 || !EventType.IsValid(item[..eq]) || !int.TryParse(item[(eq + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n is < 1 or > 36500)
                {
                    return ControlClient.Fail($"--retain '{item}' is not TYPE=DAYS with DAYS from 1 to 36500");
                }

                perType[item[..eq]] = n;
            }

            try
            {
                var removed = Retention.Prune(new RetentionOptions { DataDirectory = DataDirectory.Resolve(parse, data), RetainDays = parse.GetValue(days), PerType = perType });
                foreach (var path in removed)
                {
                    Console.WriteLine("removed " + path);
                }

                Console.WriteLine($"removed {removed.Count} day directories");
                return 0;
            }
            catch (Exception ex) when (ex is ArgumentException or IOException or UnauthorizedAccessException)
            {
                return ControlClient.Fail(ex.Message);
            }
        });
        return command;
    }

    private static Command Cat()
    {
        var command = new Command("cat", "Print one type's events in a time range (by end time, UTC), oldest first, as JSON lines.");
        var type = new Argument<string>("type") { Description = "the event type" };
        var start = new Option<string>("--start") { Description = "first day/hour/time included: 2026-11-22, 2026-11-22T05, 2026-11-22T05:30:00", Required = true };
        var end = new Option<string>("--end") { Description = "last day/hour/time included (all of it at the precision given)", Required = true };
        var data = DataDirectory.Create();
        command.Arguments.Add(type);
        command.Options.Add(start);
        command.Options.Add(end);
        command.Options.Add(data);
        ArchiveCommands.AddS3Options(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var range = TimeRange.Parse(parse.GetValue(start)!, parse.GetValue(end)!);
                var directory = DataDirectory.Resolve(parse, data);
                var typeName = EventType.Validate(parse.GetValue(type)!);
                var archived = await ArchiveCommands.ArchivedHoursAsync(parse, directory, typeName, range, cancellationToken);
                using var stdout = Console.OpenStandardOutput();
                StoreCat.Write(new StoreQueryOptions { DataDirectory = directory, MoreRoots = archived is null ? [] : [archived] }, typeName, range, stdout);
                return 0;
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or DuckDbException or IOException or Amazon.Runtime.AmazonClientException)
            {
                return ControlClient.Fail(ex.Message.ReplaceLineEndings(" ").Trim());
            }
        });
        return command;
    }
}

/// <summary>
/// Progress of a long operation: a bar redrawn in place on a terminal, plain lines otherwise (logs, pipes, CI).
/// Detail lines are printed in both cases.
/// </summary>
internal sealed class Progress(string unit)
{
    private readonly bool _terminal = !Console.IsErrorRedirected;
    private bool _drawn;

    public void Report(int done, int total, string? line)
    {
        if (_terminal)
        {
            if (line is not null)
            {
                Console.Error.Write("\r\u001b[K" + line + "\n");
            }

            var width = 30;
            var filled = total == 0 ? width : done * width / total;
            Console.Error.Write($"\r\u001b[K[{new string('#', filled)}{new string(' ', width - filled)}] {done}/{total} {unit}");
            _drawn = true;
        }
        else if (line is not null)
        {
            Console.Error.WriteLine($"{done}/{total} {unit}: {line}");
        }
    }

    public void Done()
    {
        if (_drawn)
        {
            Console.Error.Write("\r\u001b[K");
            _drawn = false;
        }
    }
}
