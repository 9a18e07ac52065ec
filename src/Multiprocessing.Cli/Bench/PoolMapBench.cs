using System.Diagnostics;

namespace Multiprocessing.Cli.Bench;

/// <summary>
/// mp_bench.py's case_pool_map: a pool of 2, started with Map over 4 items (start-up reported as pool_start_ms, not
/// timed), then Map(x*x) over 200 000 ints with the default chunking and over 20 000 ints with chunk size 1. The
/// first Map is timed apart (cold_seconds: the workers' code is not compiled yet), then Map runs untimed for
/// <see cref="PoolWarmup"/> (the JIT recompiles hot code for a second or more, see RoundGate), and the median of
/// three timed Maps is reported.
/// </summary>
internal sealed class PoolMapBench : IBenchCase
{
    public string Name => "pool_map";

    public IReadOnlyList<string> ResultNames { get; } = ["pool_map", "pool_map_chunksize1"];

    public string? PythonCase => "pool_map";

    /// <summary>Untimed work before the timed passes (pool workers cannot report their JIT activity).</summary>
    internal static readonly TimeSpan PoolWarmup = TimeSpan.FromSeconds(1.5);

    internal static int Square(int x) => x * x;

    public IEnumerable<BenchResult> Run()
    {
        foreach ((string name, int n, int chunkSize) in new[] { ("pool_map", 200_000, 0), ("pool_map_chunksize1", 20_000, 1) })
        {
            long t0 = Stopwatch.GetTimestamp();
            List<int> output = [];
            TimeSpan start;
            Passes<double> r;
            using (ProcessPool pool = new(2))
            {
                _ = pool.Map(Square, Enumerable.Range(0, 4)); // all workers up and serving
                start = Stopwatch.GetElapsedTime(t0);
                r = WarmSchedule.Run(
                    () =>
                    {
                        long t1 = Stopwatch.GetTimestamp();
                        output = pool.Map(Square, Enumerable.Range(0, n), chunkSize);
                        return Stopwatch.GetElapsedTime(t1).TotalSeconds;
                    },
                    x => x,
                    jitTicks: null,
                    minWarmup: PoolWarmup,
                    timedPasses: 3);
                pool.Close();
                _ = pool.Join(TimeSpan.FromSeconds(30));
            }

            if (output.Count != n || output[^1] != (n - 1) * (n - 1))
            {
                throw new InvalidOperationException("bad ProcessPool.Map result");
            }

            int effective = chunkSize > 0 ? chunkSize : ProcessPool.AutomaticChunkSize(n, 2);
            yield return new BenchResult
            {
                Name = name,
                Params = new()
                {
                    ["processes"] = 2,
                    ["chunksize"] = chunkSize > 0 ? chunkSize : $"default({effective})",
                    ["func"] = "x*x",
                    ["method"] = "ProcessPool",
                },
                CountKey = "ops",
                Count = n,
                Seconds = r.Median,
                RateUnit = "tasks/s",
                Extra = new(r.Extra("timed_pass_seconds", withCount: false))
                {
                    ["pool_start_ms"] = Math.Round(start.TotalMilliseconds, 2),
                },
            };
        }
    }
}
