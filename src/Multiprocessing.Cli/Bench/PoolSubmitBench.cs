using System.Diagnostics;

namespace Multiprocessing.Cli.Bench;

/// <summary>
/// pool_submit (mp_counterpart.py): 20 000 Submit(x*x) calls on a started pool of 2, then every result awaited; cold
/// pass, warm-up and median of three as in <see cref="PoolMapBench"/>.
/// </summary>
internal sealed class PoolSubmitBench : IBenchCase
{
    private const int N = 20_000;

    public string Name => "pool_submit";

    public IReadOnlyList<string> ResultNames { get; } = ["pool_submit"];

    public string? PythonCase => "pool_submit";

    public IEnumerable<BenchResult> Run()
    {
        int last = 0;
        Passes<double> r;
        using (ProcessPool pool = new(2))
        {
            _ = pool.Map(PoolMapBench.Square, Enumerable.Range(0, 4)); // all workers up and serving
            r = WarmSchedule.Run(
                () =>
                {
                    long t0 = Stopwatch.GetTimestamp();
                    Task<int>[] futures = new Task<int>[N];
                    for (int i = 0; i < N; i++)
                    {
                        futures[i] = pool.Submit(PoolMapBench.Square, i);
                    }

                    if (!Task.WaitAll(futures, TimeSpan.FromMinutes(2)))
                    {
                        throw new TimeoutException("pool_submit: the results did not all arrive within 2 minutes.");
                    }

                    double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                    last = futures[^1].Result;
                    return seconds;
                },
                x => x,
                jitTicks: null,
                minWarmup: PoolMapBench.PoolWarmup,
                timedPasses: 3);
            pool.Close();
            _ = pool.Join(TimeSpan.FromSeconds(30));
        }

        if (last != (N - 1) * (N - 1))
        {
            throw new InvalidOperationException("bad ProcessPool.Submit result");
        }

        yield return new BenchResult
        {
            Name = "pool_submit",
            Params = new() { ["processes"] = 2, ["api"] = "Submit", ["func"] = "x*x", ["method"] = "ProcessPool" },
            CountKey = "ops",
            Count = N,
            Seconds = r.Median,
            RateUnit = "tasks/s",
            Extra = r.Extra("timed_pass_seconds", withCount: false),
        };
    }
}
