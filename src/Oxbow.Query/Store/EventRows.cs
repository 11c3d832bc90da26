using System.Text.Json;
using Oxbow.DuckDb;
using Oxbow.Query.Output;
using Oxbow.Store;

namespace Oxbow.Query.Store;

/// <summary>
/// Turns a row of a type's view back into a canonical event line: the envelope in canonical order, every other
/// column into <c>body</c> (a <c>body_x</c> column back to <c>x</c>), and the partition columns dropped. Nulls are
/// left out: a view's columns are the union over many events, so a null mostly means "this event has no such field".
/// </summary>
public sealed class EventRows
{
    private readonly int[] _envelope;
    private readonly (int Index, string Name)[] _body;

    /// <summary>Plans the mapping for a result's columns.</summary>
    public EventRows(IReadOnlyList<QueryColumn> columns)
    {
        var byName = columns.Select((c, i) => (c.Name, i)).ToDictionary(x => x.Name, x => x.i, StringComparer.Ordinal);
        _envelope = [.. EventColumns.Envelope.Select(n => byName.GetValueOrDefault(n, -1))];
        _body = [.. columns.Select((c, i) => (i, c.Name))
            .Where(x => !EventColumns.Envelope.Contains(x.Name) && !EventColumns.PartitionColumns.Contains(x.Name))
            .Select(x => (x.i, EventColumns.FromColumn(x.Name)))];
    }

    /// <summary>Writes one row as one JSON object (no newline).</summary>
    public void Write(Utf8JsonWriter json, object?[] row)
    {
        json.WriteStartObject();
        for (var i = 0; i < _envelope.Length; i++)
        {
            if (_envelope[i] >= 0 && row[_envelope[i]] is { } value)
            {
                json.WritePropertyName(EventColumns.Envelope[i]);
                ValueJson.Write(json, value, omitNullFields: true);
            }
        }

        json.WriteStartObject("body");
        foreach (var (index, name) in _body)
        {
            if (row[index] is { } value)
            {
                json.WritePropertyName(name);
                ValueJson.Write(json, value, omitNullFields: true);
            }
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }
}
