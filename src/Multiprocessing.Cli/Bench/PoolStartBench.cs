using System.Diagnostics;

namespace Multiprocessing.Cli.Bench;

/// <summary>
/// pool_start (mp_counterpart.py): from creating a pool of 2 until it has run its first task; median of 10 after one
/// discarded start. pool_start_warm: the same with the workers taken from a <see cref="WorkerStandby"/> started
/// (untimed) beforehand, as CPython's forkserver is.
/// </summary>
internal sealed class PoolStartBench : IBenchCase
{
    private const int Reps = 10;

    public string Name => "pool_start";

    public IReadOnlyList<string> ResultNames { get; } = ["pool_start", "pool_start_warm"];

    public string? PythonCase => "pool_start";

    public IEnumerable<BenchResult> Run()
    {
        yield return Measure("pool_start", warm: false);
        yield return Measure("pool_start_warm", warm: true);
    }

    private static BenchResult Measure(string name, bool warm)
    {
        Dictionary<string, object?> parameters = new()
        {
            ["processes"] = 2,
            ["reps"] = Reps,
            ["warmup"] = 1,
            ["first_task"] = "Submit(x*x)",
            ["method"] = warm ? "ProcessPool with a WorkerStandby started ahead (untimed)" : "ProcessPool",
        };
        return StartTimes.Measure(name, Reps, parameters, () =>
        {
            using WorkerStandby? standby = warm ? new WorkerStandby(2) : null;
            if (standby is not null && !standby.WaitUntilReady(TimeSpan.FromMinutes(1)))
            {
                throw new TimeoutException("pool_start_warm: the standby workers did not start within a minute.");
            }

            long t0 = Stopwatch.GetTimestamp();
            using ProcessPool pool = new(new ProcessPoolOptions { WorkerCount = 2, Standby = standby });
            if (!pool.Submit(PoolMapBench.Square, 3).Wait(TimeSpan.FromMinutes(1)))
            {
                throw new TimeoutException($"{name}: the first task did not finish within a minute.");
            }

            double us = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
            pool.Close();
            _ = pool.Join(TimeSpan.FromSeconds(30));
            return us;
        });
    }
}
