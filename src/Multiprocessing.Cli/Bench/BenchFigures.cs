using System.Text.Json.Nodes;

namespace Multiprocessing.Cli.Bench;

/// <summary>The figures of one result that a comparison uses, from our side or from a CPython JSON line.</summary>
/// <param name="Name">The result name.</param>
/// <param name="RatePerS">Operations per second.</param>
/// <param name="RateUnit">For example "msgs/s".</param>
/// <param name="MedianUs">Median latency in microseconds, for latency cases.</param>
/// <param name="P99Us">99th percentile latency in microseconds, for latency cases.</param>
internal sealed record BenchFigures(string Name, double RatePerS, string RateUnit, double? MedianUs, double? P99Us)
{
    /// <summary>The CPython results to compare with instead of the default pairing (see <see cref="BenchResult.CompareWith"/>).</summary>
    public IReadOnlyList<string>? CompareWith { get; init; }

    /// <summary>Our own result.</summary>
    internal static BenchFigures From(BenchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new(result.Name, result.RatePerS, result.RateUnit, result.MedianUs, result.P99Us) { CompareWith = result.CompareWith };
    }

    /// <summary>A result line printed by mp_counterpart.py (or mp_bench.py); null for an error line.</summary>
    internal static BenchFigures? From(JsonObject line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (line.ContainsKey("error") || line["name"]?.GetValue<string>() is not string name)
        {
            return null;
        }

        return new(name, Number(line, "rate_per_s") ?? 0, line["rate_unit"]?.GetValue<string>() ?? "",
            Number(line, "median_us"), Number(line, "p99_us"));
    }

    private static double? Number(JsonObject line, string key) =>
        line[key] is JsonValue v && v.TryGetValue(out double d) ? d : null;
}
