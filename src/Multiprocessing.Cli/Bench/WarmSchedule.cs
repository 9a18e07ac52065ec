using System.Diagnostics;

namespace Multiprocessing.Cli.Bench;

/// <summary>
/// The timing schedule of every case that runs its workload more than once in the same processes (queues through
/// <see cref="RoundGate"/>, pipe_stream, the pool): one cold pass (timed and reported), untimed passes, then timed
/// passes whose median is reported.
/// <para>
/// Why: a fresh .NET process compiles the code as it first runs, then recompiles hot methods with profile data on a
/// background thread, for a second or more: measured here, each worker spent 0.3–1 s in the JIT, and that thread took
/// a CPU away from a consumer for 10–25 ms at a time in rounds that started 0.5 s after the workers. CPython has no
/// such phase. So the untimed passes last at least <see cref="BenchWorkers.JitWarmup"/> and, when the processes can
/// report their JIT time, until they together spent at most <see cref="QuietJitBudget"/> in the JIT over the last
/// <see cref="QuietFor"/> (methods called once per pass keep being promoted for many passes; they are cheap), at most
/// <see cref="MaxWarmup"/>.
/// </para>
/// </summary>
internal static class WarmSchedule
{
    /// <summary>Timed passes after the warm-up, unless a case says otherwise.</summary>
    internal const int TimedPasses = 5;

    /// <summary>The window over which the JIT must have been (nearly) idle.</summary>
    internal static readonly TimeSpan QuietFor = TimeSpan.FromMilliseconds(300);

    /// <summary>JIT time, summed over the processes, that still counts as idle within <see cref="QuietFor"/>.</summary>
    internal static readonly TimeSpan QuietJitBudget = TimeSpan.FromMilliseconds(10);

    /// <summary>Warm-up ends after this long even if the JIT is still busy somewhere.</summary>
    internal static readonly TimeSpan MaxWarmup = TimeSpan.FromSeconds(4);

    /// <summary>
    /// Runs the schedule. <paramref name="pass"/> runs the timed workload once; <paramref name="warmupPass"/> (default:
    /// the same) an untimed one; <paramref name="seconds"/> reads a pass's time. <paramref name="jitTicks"/> gives the
    /// JIT time so far of every process involved (null: the warm-up lasts <paramref name="minWarmup"/> only).
    /// </summary>
    internal static Passes<T> Run<T>(
        Func<T> pass,
        Func<T, double> seconds,
        Func<long>? jitTicks,
        Func<T>? warmupPass = null,
        TimeSpan? minWarmup = null,
        int timedPasses = TimedPasses)
    {
        warmupPass ??= pass;
        TimeSpan min = minWarmup ?? BenchWorkers.JitWarmup;
        T cold = pass();
        int count = 1;
        Stopwatch since = Stopwatch.StartNew();
        List<(TimeSpan At, long JitTicks)> history = [(since.Elapsed, jitTicks?.Invoke() ?? 0)];
        do
        {
            _ = warmupPass();
            count++;
            history.Add((since.Elapsed, jitTicks?.Invoke() ?? 0));
        }
        while (since.Elapsed < min || (jitTicks is not null && since.Elapsed < MaxWarmup && !JitQuiet(history)));

        T[] timed = new T[timedPasses];
        for (int i = 0; i < timedPasses; i++)
        {
            timed[i] = pass();
            count++;
        }

        T[] sorted = [.. timed.OrderBy(seconds)];
        return new Passes<T>(cold, sorted[sorted.Length / 2], timed, count, seconds);
    }

    /// <summary>True when the JIT time added over the last <see cref="QuietFor"/> (or more) is within <see cref="QuietJitBudget"/>.</summary>
    private static bool JitQuiet(List<(TimeSpan At, long JitTicks)> history)
    {
        (TimeSpan now, long ticks) = history[^1];
        for (int i = history.Count - 2; i >= 0; i--)
        {
            if (now - history[i].At >= QuietFor)
            {
                return ticks - history[i].JitTicks <= QuietJitBudget.Ticks;
            }
        }

        return false;
    }
}

/// <summary>What <see cref="WarmSchedule.Run{T}"/> measured: the cold pass, the median timed pass, every timed pass, and how many passes ran.</summary>
internal sealed record Passes<T>(T Cold, T Median, T[] Timed, int Count, Func<T, double> Seconds)
{
    /// <summary>The figures every such case reports: cold_seconds, the timed passes under <paramref name="timedKey"/>, and (if asked) the number of passes.</summary>
    internal Dictionary<string, object?> Extra(string timedKey = "timed_round_seconds", bool withCount = true)
    {
        Dictionary<string, object?> extra = new()
        {
            ["cold_seconds"] = Math.Round(Seconds(Cold), 6),
            [timedKey] = Timed.Select(x => Math.Round(Seconds(x), 6)).ToArray(),
        };
        if (withCount)
        {
            extra["rounds"] = Count;
        }

        return extra;
    }
}
