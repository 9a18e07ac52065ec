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
