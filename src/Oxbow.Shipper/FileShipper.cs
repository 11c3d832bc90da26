using System.Buffers;
using System.Text;
using System.Threading.Channels;
using Oxbow.Transport;

namespace Oxbow.Shipper;

/// <summary>Counts of one <c>oxbow ingest</c> run.</summary>
/// <param name="Sent">Events the collector acknowledged.</param>
/// <param name="Refused">Events the collector refused for good (reported on the log).</param>
public sealed record ShipResult(long Sent, long Refused);

/// <summary>
/// <c>oxbow ingest</c>: lines from stdin or from followed files become events, sent over the binary protocol and
/// acknowledged by the collector once durable. One batch is in flight at a time, so a follower's checkpoint always
/// names exactly what has been acknowledged.
/// </summary>
public sealed class FileShipper : IAsyncDisposable
{
    private readonly ShipperOptions _options;
    private readonly BatchSender _sender;
    private readonly LineEvents _events;
    private long _sent;
    private long _refused;

    /// <summary>Connects lazily, on the first batch.</summary>
    public FileShipper(ShipperOptions options)
    {
        _options = options;
        _sender = new BatchSender(new BatchSenderOptions { Endpoints = options.Endpoints, Token = options.Token, ClientName = $"{options.App}@{options.Host}" });
        _events = new LineEvents(options.Host, options.App, options.MaxRecordBytes);
    }

    /// <summary>Sends every line of <paramref name="input"/> as an event of <paramref name="type"/>, until it ends.</summary>
    /// <exception cref="TimeoutException">A batch was not acknowledged within <see cref="ShipperOptions.DeliveryTimeout"/>.</exception>
    public async Task<ShipResult> RunStdinAsync(string type, Stream input, CancellationToken token)
    {
        var lines = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(10_000) { SingleReader = true, SingleWriter = true });
        var reading = Task.Run(async () =>
        {
            try
            {
                using var reader = new StreamReader(input, new UTF8Encoding(false, false));
                while (await reader.ReadLineAsync(token).ConfigureAwait(false) is { } line)
                {
                    await lines.Writer.WriteAsync(Encoding.UTF8.GetBytes(line), token).ConfigureAwait(false);
                }
            }
            finally
            {
                lines.Writer.Complete();
            }
        }, CancellationToken.None);

        var joiner = new MultilineJoiner(_options.MultilineStart, _options.MultilineIdle, _options.MaxRecordBytes, TimeProvider.System);
        var batch = new Batch();
        var ended = false;
        while (!ended)
        {
            // Take what is there now; wait (briefly, when a multi-line record is open) only when nothing is.
            if (!lines.Reader.TryRead(out var line))
            {
                if (batch.Count > 0)
                {
                    await SendAsync(batch, null, _options.DeliveryTimeout).ConfigureAwait(false);
                    continue;
                }

                var wait = joiner.HasPending ? _options.MultilineIdle : Timeout.InfiniteTimeSpan;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                timeout.CancelAfter(wait);
                try
                {
                    ended = !await lines.Reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!token.IsCancellationRequested)
                {
                }

                Add(batch, type, joiner.Flush(force: ended), null);
                continue;
            }

            Add(batch, type, joiner.Add(new LineRecord(line, 0)), null);
            if (batch.Count >= _options.MaxBatchEvents)
            {
                await SendAsync(batch, null, _options.DeliveryTimeout).ConfigureAwait(false);
            }
        }

        Add(batch, type, joiner.Flush(force: true), null);
        if (batch.Count > 0)
        {
            await SendAsync(batch, null, _options.DeliveryTimeout).ConfigureAwait(false);
        }

        await reading.ConfigureAwait(false);
        return new ShipResult(Interlocked.Read(ref _sent), Interlocked.Read(ref _refused));
    }

    /// <summary>Follows <paramref name="files"/> until <paramref name="token"/> is cancelled, then sends what it holds and saves its place.</summary>
    public async Task<ShipResult> RunFollowAsync(IReadOnlyList<FollowSpec> files, CancellationToken token)
    {
        var checkpoint = new ShipperCheckpoint(_options.StatePath);
        var positions = checkpoint.Load();
        if (checkpoint.LoadPending() is { } pending)
        {
            // Killed with a batch in flight: send it again under the same id; the collector stores it at most once.
            var replay = new Batch { Id = pending.Id, Count = pending.Count, Positions = pending.Positions };
            replay.Data.Write(pending.Data);
            await SendAsync(replay, checkpoint, Timeout.InfiniteTimeSpan, positions).ConfigureAwait(false);
        }

        var followed = new List<(FollowedFile File, MultilineJoiner Joiner)>();
        var batch = new Batch();
        try
        {
            foreach (var spec in files)
            {
                var file = new FollowedFile(spec.Path, spec.Type, message => _options.Log.WriteLine("oxbow ingest: " + message));
                var joiner = new MultilineJoiner(_options.MultilineStart, _options.MultilineIdle, _options.MaxRecordBytes, TimeProvider.System);
                followed.Add((file, joiner));
                var drained = file.Open(positions.GetValueOrDefault(file.Path), _options.FromStart);
                foreach (var line in drained)
                {
                    Add(batch, file, joiner.Add(line));
                }

                Add(batch, file, joiner.Flush(force: true));
                if (batch.Count == 0 && file.Identity is { } identity)
                {
                    positions[file.Path] = new FilePosition(identity.Device, identity.Inode, file.Position);
                }
            }

            // The starting place is kept at once: lines written from now on are sent even if this process dies
            // before its first batch.
            checkpoint.Save(positions);
            foreach (var (file, _) in followed)
            {
                await _options.Log.WriteLineAsync(file.Identity is null
                    ? $"oxbow ingest: waiting for {file.Path} (type {file.Type})"
                    : $"oxbow ingest: following {file.Path} (type {file.Type}) from offset {file.Position}").ConfigureAwait(false);
            }

            while (!token.IsCancellationRequested)
            {
                foreach (var (file, joiner) in followed)
                {
                    var lines = file.Poll(out var rotatedAt);
                    for (var i = 0; i < lines.Count; i++)
                    {
                        if (i == rotatedAt)
                        {
                            Add(batch, file, joiner.Flush(force: true));
                        }

                        Add(batch, file, joiner.Add(lines[i]));
                        if (batch.Count >= _options.MaxBatchEvents)
                        {
                            await SendAsync(batch, checkpoint, Timeout.InfiniteTimeSpan, positions).ConfigureAwait(false);
                        }
                    }

                    if (rotatedAt == lines.Count)
                    {
                        Add(batch, file, joiner.Flush(force: true));
                    }

                    Add(batch, file, joiner.Flush(force: false));
                }

                if (batch.Count > 0)
                {
                    await SendAsync(batch, checkpoint, Timeout.InfiniteTimeSpan, positions).ConfigureAwait(false);
                    continue;
                }

                // Idle, with everything read acknowledged: a rotation or truncation that brought no new line still
                // moves the place to the new file, so a restart does not look for the old one.
                if (MoveIdlePositions(followed, positions))
                {
                    checkpoint.Save(positions);
                }

                try
                {
                    await Task.Delay(_options.PollInterval, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }

            foreach (var (file, joiner) in followed)
            {
                Add(batch, file, joiner.Flush(force: true));
            }

            if (batch.Count > 0)
            {
                await SendAsync(batch, checkpoint, Timeout.InfiniteTimeSpan, positions).ConfigureAwait(false);
            }
        }
        finally
        {
            foreach (var (file, _) in followed)
            {
                file.Dispose();
            }
        }

        return new ShipResult(Interlocked.Read(ref _sent), Interlocked.Read(ref _refused));
    }

    private static bool MoveIdlePositions(List<(FollowedFile File, MultilineJoiner Joiner)> followed, Dictionary<string, FilePosition> positions)
    {
        var moved = false;
        foreach (var (file, joiner) in followed)
        {
            if (joiner.HasPending || file.Identity is not { } identity)
            {
                continue;
            }

            var now = new FilePosition(identity.Device, identity.Inode, file.LineStart);
            if (positions.GetValueOrDefault(file.Path) != now)
            {
                positions[file.Path] = now;
                moved = true;
            }
        }

        return moved;
    }

    private void Add(Batch batch, FollowedFile file, LineRecord? record)
    {
        Add(batch, file.Type, record, file.Path);
        if (record is { } r && file.Identity is { } identity)
        {
            batch.Positions[file.Path] = new FilePosition(identity.Device, identity.Inode, r.End);
        }
    }

    private void Add(Batch batch, string type, LineRecord? record, string? source)
    {
        if (record is { } r)
        {
            _events.Write(type, r.Bytes, source, batch.Data);
            batch.Count++;
        }
    }

    /// <summary>Sends until acknowledged (or refused for good), then moves the checkpoint on.</summary>
    private async Task SendAsync(Batch batch, ShipperCheckpoint? checkpoint, TimeSpan timeout, Dictionary<string, FilePosition>? positions = null)
    {
        checkpoint?.WritePending(batch.Id, batch.Count, batch.Positions, batch.Data.WrittenSpan);
        var send = _sender.SendAsync(new OutgoingBatch(batch.Id, batch.Count, batch.Data.WrittenMemory.ToArray()));
        if (await Task.WhenAny(send, Task.Delay(timeout)).ConfigureAwait(false) != send)
        {
            throw new TimeoutException($"the collector did not acknowledge within {timeout.TotalSeconds:0} s: {_sender.Status.LastError ?? "no connection"}");
        }

        var outcome = await send.ConfigureAwait(false);
        if (outcome.Acknowledged)
        {
            Interlocked.Add(ref _sent, batch.Count);
        }
        else
        {
            Interlocked.Add(ref _refused, batch.Count);
            await _options.Log.WriteLineAsync($"oxbow ingest: {batch.Count} events refused: {outcome.Rejection?.Message}").ConfigureAwait(false);
        }

        if (checkpoint is not null && positions is not null)
        {
            foreach (var (path, position) in batch.Positions)
            {
                positions[path] = position;
            }

            checkpoint.Save(positions);
            checkpoint.ClearPending();
        }

        batch.Reset();
    }

    /// <summary>Closes the connection.</summary>
    public ValueTask DisposeAsync() => _sender.DisposeAsync();

    private sealed class Batch
    {
        public BatchId Id { get; set; } = BatchId.New();

        public ArrayBufferWriter<byte> Data { get; } = new(64 * 1024);

        public int Count { get; set; }

        public Dictionary<string, FilePosition> Positions { get; set; } = new(StringComparer.Ordinal);

        public void Reset()
        {
            Id = BatchId.New();
            Data.ResetWrittenCount();
            Count = 0;
            Positions = new(StringComparer.Ordinal);
        }
    }
}
