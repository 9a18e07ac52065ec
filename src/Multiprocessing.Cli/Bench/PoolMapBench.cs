using System.Diagnostics;

namespace Multiprocessing.Cli.Bench;

/// <summary>
/// mp_bench.py's case_pool_map: a pool of 2, warmed up with Map over 4 items (start-up reported as pool_start_ms,
/// not timed), then Map(x*x) over 200 000 ints with the default chunking and over 20 000 ints with chunk size 1.
/// </summary>
internal sealed class PoolMapBench : IBenchCase
{
    public string Name => "pool_map";

    public IReadOnlyList<string> ResultNames { get; } = ["pool_map", "pool_map_chunksize1"];

    public string? PythonCase => "pool_map";

    internal static int Square(int x) => x * x;

    public IEnumerable<BenchResult> Run()
    {
        foreach ((string name, int n, int chunkSize) in new[] { ("pool_map", 200_000, 0), ("pool_map_chunksize1", 20_000, 1) })
        {
            long t0 = Stopwatch.GetTimestamp();
            List<int> output;
            TimeSpan start;
            TimeSpan timed;
            using (ProcessPool pool = new(2))
            {
                _ = pool.Map(Square, Enumerable.Range(0, 4)); // warm-up: all workers up and serving
                long t1 = Stopwatch.GetTimestamp();
                output = pool.Map(Square, Enumerable.Range(0, n), chunkSize);
                long t2 = Stopwatch.GetTimestamp();
                start = Stopwatch.GetElapsedTime(t0, t1);
                timed = Stopwatch.GetElapsedTime(t1, t2);
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
                Seconds = timed.TotalSeconds,
                RateUnit = "tasks/s",
                Extra = new() { ["pool_start_ms"] = Math.Round(start.TotalMilliseconds, 2) },
            };
        }
    }
}
