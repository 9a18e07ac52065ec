using System.Diagnostics;

namespace Multiprocessing.Cli.Bench;

/// <summary>Helpers for cases that run worker processes: bounded joins and a clock comparable across processes.</summary>
internal static class BenchWorkers
{
    /// <summary>How the cases start processes, for the "method" parameter (CPython prints "fork").</summary>
    internal const string Method = "WorkerProcess";

    /// <summary>
    /// How long a case runs its loop untimed first. .NET compiles a method at tier 0 and recompiles it optimised only
    /// after 30 calls and 100 ms without new tier-0 work, so a cold loop of a few tens of milliseconds would time
    /// unoptimised code; CPython has no such phase. The cold figure is printed too (cold_seconds).
    /// </summary>
    internal static readonly TimeSpan JitWarmup = TimeSpan.FromMilliseconds(300);

    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Calls <paramref name="body"/> repeatedly for <see cref="JitWarmup"/> (at least 100 times).</summary>
    internal static void WarmUp(Action body)
    {
        Stopwatch sw = Stopwatch.StartNew();
        for (int calls = 0; calls < 100 || sw.Elapsed < JitWarmup; calls++)
        {
            body();
        }
    }

    /// <summary>
    /// For cases whose workers cannot report their JIT activity (a pool's): one cold pass (timed), untimed passes for
    /// at least <paramref name="warmup"/>, then <paramref name="timedPasses"/> timed passes. <paramref name="pass"/>
    /// runs the workload once and returns its seconds. Returns the cold pass, the median timed pass and all of them.
    /// </summary>
    internal static (double Cold, double Median, double[] Timed) ColdWarmMedian(Func<double> pass, TimeSpan warmup, int timedPasses = 3)
    {
        double cold = pass();
        Stopwatch sw = Stopwatch.StartNew();
        do
        {
            _ = pass();
        }
        while (sw.Elapsed < warmup);

        double[] timed = new double[timedPasses];
        for (int i = 0; i < timedPasses; i++)
        {
            timed[i] = pass();
        }

        double[] sorted = [.. timed.Order()];
        return (cold, sorted[sorted.Length / 2], timed);
    }

    /// <summary>
    /// Monotonic nanoseconds. On Linux <see cref="Stopwatch"/> reads CLOCK_MONOTONIC, a system-wide clock, so stamps
    /// taken in different processes are comparable (as time.perf_counter_ns() in mp_bench.py).
    /// </summary>
    internal static long NowNs() => (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));

    /// <summary>Joins every worker; kills the rest and throws if one hangs or fails.</summary>
    internal static void JoinAll(params WorkerProcess[] workers)
    {
        try
        {
            foreach (WorkerProcess w in workers)
            {
                if (!w.Join(JoinTimeout))
                {
                    throw new TimeoutException($"benchmark worker {w.Pid} did not finish within {JoinTimeout.TotalSeconds} s");
                }

                if (w.ExitCode != 0)
                {
                    throw new InvalidOperationException($"benchmark worker {w.Pid} exited with {w.ExitCode}: {w.Failure}");
                }
            }
        }
        finally
        {
            foreach (WorkerProcess w in workers)
            {
                if (w.ExitCode is null)
                {
                    w.Kill();
                    _ = w.Join(JoinTimeout);
                }

                w.Dispose();
            }
        }
    }
}
