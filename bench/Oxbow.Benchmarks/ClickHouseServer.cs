using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Oxbow.Benchmarks;

/// <summary>
/// ClickHouse 18.16 (Debian's clickhouse-server) on 127.0.0.1 with a private config and data directory, asked over
/// HTTP; a peer of the query benchmarks, with the benchmark's events loaded into a MergeTree table (18.16 reads
/// neither Parquet nor JSON functions, so the events are flattened on the way in).
/// </summary>
internal sealed class ClickHouseServer : IDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http;

    private ClickHouseServer(Process process, HttpClient http)
    {
        _process = process;
        _http = http;
    }

    public static ClickHouseServer Start(string directory)
    {
        Directory.CreateDirectory(directory);
        var port = Harness.FreePort();
        File.WriteAllText(Path.Combine(directory, "users.xml"), """
            <yandex>
              <profiles><default><max_memory_usage>8000000000</max_memory_usage></default></profiles>
              <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
              <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
            </yandex>
            """);
        File.WriteAllText(Path.Combine(directory, "config.xml"), $"""
            <yandex>
              <logger><level>warning</level><console>1</console></logger>
              <http_port>{port}</http_port>
              <tcp_port>{Harness.FreePort()}</tcp_port>
              <listen_host>127.0.0.1</listen_host>
              <path>{directory}/data/</path>
              <tmp_path>{directory}/tmp/</tmp_path>
              <users_config>{directory}/users.xml</users_config>
              <default_profile>default</default_profile>
              <default_database>default</default_database>
              <mark_cache_size>1073741824</mark_cache_size>
            </yandex>
            """);
        var process = Harness.StartQuiet(new ProcessStartInfo("/usr/sbin/clickhouse-server", ["--config-file=" + Path.Combine(directory, "config.xml")]));
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromMinutes(10) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                if (http.GetStringAsync("ping").Result.StartsWith("Ok", StringComparison.Ordinal))
                {
                    return new ClickHouseServer(process, http);
                }
            }
            catch (AggregateException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                Thread.Sleep(100);
            }
        }
    }


    /// <summary>Runs <paramref name="sql"/> and returns its answer as tab-separated text.</summary>
    public string Query(string sql)
    {
        using var response = _http.PostAsync("/", new StringContent(sql + (sql.StartsWith("SELECT", StringComparison.Ordinal) ? " FORMAT TabSeparated" : ""))).Result;
        var text = response.Content.ReadAsStringAsync().Result;
        return response.IsSuccessStatusCode ? text : throw new InvalidOperationException(text);
    }

    /// <summary>Whether <paramref name="table"/> holds all of <paramref name="set"/> already (a table survives restarts).</summary>
    public bool Holds(QueryDataset set, string table)
    {
        try
        {
            return long.Parse(Query($"SELECT count() FROM {table}").Trim(), CultureInfo.InvariantCulture) == set.TotalEvents;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The same events, flattened (ClickHouse 18.16 has no JSON functions), inserted as JSONEachRow.</summary>
    public void Load(QueryDataset set, string table)
    {
        Query($"DROP TABLE IF EXISTS {table}");
        Query($"""
            CREATE TABLE {table} (type String, id String, end DateTime, day Date, hour UInt8, host String, trace_id String,
              user String, duration Float64, product String, postcode String, calls_devs_api UInt8, method String,
              endpoint String, status UInt16, bytes UInt32, referrer String)
            ENGINE = MergeTree PARTITION BY day ORDER BY (type, day, hour, end)
            """);
        var stopwatch = Stopwatch.StartNew();
        var batch = new StringBuilder();
        var rows = 0;
        using var buffer = new MemoryStream();
        foreach (var (type, end, i) in set.Timeline())
        {
            buffer.SetLength(0);
            using (var json = new Utf8JsonWriter(buffer))
            {
                QueryDataset.WriteEvent(json, type, end, i);
            }

            using var document = JsonDocument.Parse(buffer.ToArray());
            var root = document.RootElement;
            var body = root.GetProperty("body");
            string Text(string name) => body.TryGetProperty(name, out var v) ? v.ToString() : "";
            long Number(string name) => body.TryGetProperty(name, out var v) ? v.GetInt64() : 0;
            batch.Append(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["type"] = type,
                ["id"] = root.GetProperty("id").GetString()!,
                ["end"] = end.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                ["day"] = end.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["hour"] = end.Hour,
                ["host"] = root.GetProperty("host").GetString()!,
                ["trace_id"] = root.GetProperty("trace_id").GetString()!,
                ["user"] = Text("user"),
                ["duration"] = body.GetProperty("duration").GetDouble(),
                ["product"] = Text("product"),
                ["postcode"] = Text("postcode"),
                ["calls_devs_api"] = body.TryGetProperty("calls_devs_api", out var c) && c.GetBoolean() ? 1 : 0,
                ["method"] = Text("method"),
                ["endpoint"] = Text("endpoint"),
                ["status"] = Number("status"),
                ["bytes"] = Number("bytes"),
                ["referrer"] = Text("referrer"),
            })).Append('\n');
            if (++rows % 250_000 == 0)
            {
                Insert(table, batch);
            }
        }

        Insert(table, batch);
        Query($"OPTIMIZE TABLE {table} FINAL");
        Console.WriteLine($"// ClickHouse: loaded {rows} rows into {table} in {stopwatch.Elapsed.TotalSeconds:0.0} s");
    }


    private void Insert(string table, StringBuilder batch)
    {
        if (batch.Length == 0)
        {
            return;
        }

        using var response = _http.PostAsync("/?query=" + Uri.EscapeDataString($"INSERT INTO {table} FORMAT JSONEachRow"), new StringContent(batch.ToString())).Result;
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException(response.Content.ReadAsStringAsync().Result);
        }

        batch.Clear();
    }


    /// <inheritdoc />
    public void Dispose()
    {
        _process.Kill();
        _process.WaitForExit();
        _http.Dispose();
    }
}
