using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Multiprocessing.Cli.Bench;

/// <summary>Formats result lines exactly as mp_bench.py's <c>emit</c> does: same keys, same order, same rounding.</summary>
internal static class BenchJson
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Keep "µs" and similar readable, as Python's json.dumps keeps them escaped but equal in meaning.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// One result as a single-line JSON object: name, params, messages|ops, seconds, rate_per_s, rate_unit,
    /// mb_per_s, median_us, p99_us (when set), the extra fields, then foreign_cpu_s (when measured).
    /// </summary>
    internal static string Format(BenchResult result, double? foreignCpuS)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Write(w =>
        {
            w.WriteString("name", result.Name);
            w.WritePropertyName("params");
            WriteObject(w, result.Params);
            w.WriteNumber(result.CountKey, result.Count);
            WriteNumber(w, "seconds", Math.Round(result.Seconds, 6));
            WriteNumber(w, "rate_per_s", Math.Round(result.RatePerS, 1));
            w.WriteString("rate_unit", result.RateUnit);
            WriteOptional(w, "mb_per_s", result.MbPerS, 1);
            WriteOptional(w, "median_us", result.MedianUs, 3);
            WriteOptional(w, "p99_us", result.P99Us, 3);
            foreach (KeyValuePair<string, object?> pair in result.Extra)
            {
                w.WritePropertyName(pair.Key);
                WriteValue(w, pair.Value);
            }

            WriteOptional(w, "foreign_cpu_s", foreignCpuS, 2);
        });
    }

    /// <summary>The line a failing case prints: <c>{"name": …, "error": "Type: message"}</c>, as mp_bench.py.</summary>
    internal static string FormatError(string name, Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return FormatError(name, $"{error.GetType().Name}: {error.Message}");
    }

    /// <summary>The line a failing case prints, with the error text already formatted.</summary>
    internal static string FormatError(string name, string error) => Write(w =>
    {
        w.WriteString("name", name);
        w.WriteString("error", error);
    });

    /// <summary>A CPython result line as read from the counterpart, with <c>"impl": "cpython"</c> added.</summary>
    internal static string FormatForeign(System.Text.Json.Nodes.JsonObject line, string impl)
    {
        ArgumentNullException.ThrowIfNull(line);
        var copy = (System.Text.Json.Nodes.JsonObject)line.DeepClone();
        copy["impl"] = impl;
        return copy.ToJsonString(new JsonSerializerOptions { Encoder = WriterOptions.Encoder });
    }

    /// <summary>One comparison line: ours against one CPython result, with the ratios (above 1: we are faster).</summary>
    internal static string Format(BenchComparison c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return Write(w =>
        {
            w.WriteString("name", c.Ours.Name);
            w.WriteString("vs", "cpython:" + c.Python.Name);
            WriteOptional(w, "rate_ratio", c.RateRatio, 2);
            WriteOptional(w, "median_ratio", c.MedianRatio, 2);
            WriteOptional(w, "p99_ratio", c.P99Ratio, 2);
        });
    }

    private static string Write(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, WriterOptions))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteOptional(Utf8JsonWriter w, string key, double? value, int digits)
    {
        if (value is double v)
        {
            WriteNumber(w, key, Math.Round(v, digits));
        }
    }

    private static void WriteNumber(Utf8JsonWriter w, string key, double value)
    {
        w.WritePropertyName(key);
        WriteDouble(w, value);
    }

    private static void WriteDouble(Utf8JsonWriter w, double value)
    {
        // JSON has no NaN or infinity; null says "not measurable" without breaking the line.
        if (double.IsFinite(value))
        {
            w.WriteNumberValue(value);
        }
        else
        {
            w.WriteNullValue();
        }
    }

    private static void WriteObject(Utf8JsonWriter w, IEnumerable<KeyValuePair<string, object?>> pairs)
    {
        w.WriteStartObject();
        foreach (KeyValuePair<string, object?> pair in pairs)
        {
            w.WritePropertyName(pair.Key);
            WriteValue(w, pair.Value);
        }

        w.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null:
                w.WriteNullValue();
                break;
            case string s:
                w.WriteStringValue(s);
                break;
            case bool b:
                w.WriteBooleanValue(b);
                break;
            case double d:
                WriteDouble(w, d);
                break;
            case float f:
                WriteDouble(w, f);
                break;
            case decimal m:
                w.WriteNumberValue(m);
                break;
            case Enum e:
                w.WriteStringValue(e.ToString());
                break;
            case TimeSpan t:
                WriteDouble(w, t.TotalSeconds);
                break;
            case IEnumerable<KeyValuePair<string, object?>> nested:
                WriteObject(w, nested);
                break;
            case sbyte or byte or short or ushort or int or uint or long:
                w.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case ulong u:
                w.WriteNumberValue(u);
                break;
            default:
                JsonSerializer.Serialize(w, value, value.GetType());
                break;
        }
    }
}
