using System.Runtime.InteropServices;

namespace Multiprocessing.Cli.Bench;

/// <summary>
/// The start-latency cases (process_start, pool_start): one start discarded, then <c>reps</c> timed ones; the result
/// is their median, with the fastest and slowest in Extra.
/// </summary>
internal static class StartTimes
{
    /// <summary><paramref name="startOnce"/> performs one start and returns its time in microseconds.</summary>
    internal static BenchResult Measure(string name, int reps, Dictionary<string, object?> parameters, Func<double> startOnce)
    {
        List<double> times = [];
        for (int k = 0; k <= reps; k++)
        {
            double us = startOnce();
            if (k > 0)
            {
                times.Add(us);
            }
        }

        times.Sort();
        double median = SortedStats.Median(CollectionsMarshal.AsSpan(times));
        return new BenchResult
        {
            Name = name,
            Params = parameters,
            CountKey = "ops",
            Count = 1,
            Seconds = median / 1e6,
            RateUnit = "starts/s",
            MedianUs = Math.Round(median, 1),
            Extra = new() { ["min_us"] = Math.Round(times[0], 1), ["max_us"] = Math.Round(times[^1], 1) },
        };
    }
}
