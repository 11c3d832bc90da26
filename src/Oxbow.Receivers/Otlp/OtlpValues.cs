using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Common.V1;
using Oxbow.Receivers.Events;

namespace Oxbow.Receivers.Otlp;

/// <summary>OTLP's attribute values and ids as Oxbow writes them.</summary>
internal static class OtlpValues
{
    public static readonly Action<Utf8JsonWriter, AnyValue> WriteValue = Write;

    /// <summary>An AnyValue as JSON: strings, booleans, integers, doubles, arrays and key-value lists (as objects); bytes as base64.</summary>
    public static void Write(Utf8JsonWriter json, AnyValue value)
    {
        switch (value.ValueCase)
        {
            case AnyValue.ValueOneofCase.StringValue:
                json.WriteStringValue(value.StringValue);
                break;
            case AnyValue.ValueOneofCase.BoolValue:
                json.WriteBooleanValue(value.BoolValue);
                break;
            case AnyValue.ValueOneofCase.IntValue:
                json.WriteNumberValue(value.IntValue);
                break;
            case AnyValue.ValueOneofCase.DoubleValue:
                if (double.IsFinite(value.DoubleValue))
                {
                    json.WriteNumberValue(value.DoubleValue);
                }
                else
                {
                    // As the event format writes them: JSON has no NaN or infinities.
                    json.WriteStringValue(double.IsNaN(value.DoubleValue) ? "NaN" : value.DoubleValue > 0 ? "Infinity" : "-Infinity");
                }

                break;
            case AnyValue.ValueOneofCase.ArrayValue:
                json.WriteStartArray();
                foreach (var item in value.ArrayValue.Values)
                {
                    Write(json, item);
                }

                json.WriteEndArray();
                break;
            case AnyValue.ValueOneofCase.KvlistValue:
                json.WriteStartObject();
                Fields(value.KvlistValue.Values).WriteProperties(json, WriteValue);
                json.WriteEndObject();
                break;
            case AnyValue.ValueOneofCase.BytesValue:
                json.WriteBase64StringValue(value.BytesValue.Span);
                break;
            default:
                json.WriteNullValue();
                break;
        }
    }

    /// <summary>Key-value pairs as a nested field tree (dotted keys nest).</summary>
    public static FieldTree<AnyValue> Fields(RepeatedField<KeyValue> pairs, Func<string, bool>? skip = null)
    {
        var tree = new FieldTree<AnyValue>();
        foreach (var pair in pairs)
        {
            if (skip is null || !skip(pair.Key))
            {
                tree.Add(pair.Key, pair.Value ?? new AnyValue());
            }
        }

        return tree;
    }

    /// <summary>A string attribute's value, or null.</summary>
    public static string? String(RepeatedField<KeyValue> pairs, string key)
    {
        foreach (var pair in pairs)
        {
            if (pair.Key == key)
            {
                return pair.Value?.ValueCase switch
                {
                    AnyValue.ValueOneofCase.StringValue => pair.Value.StringValue,
                    AnyValue.ValueOneofCase.IntValue => pair.Value.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    _ => null,
                };
            }
        }

        return null;
    }

    /// <summary>A trace or span id as lower-case hex; null when absent, all zero or of the wrong length.</summary>
    public static string? Hex(ByteString id, int length)
    {
        if (id.Length != length)
        {
            return null;
        }

        var span = id.Span;
        return span.IndexOfAnyExcept((byte)0) < 0 ? null : Convert.ToHexStringLower(span);
    }
}
