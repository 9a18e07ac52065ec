using System.Diagnostics;
using Multiprocessing.Pipes;

namespace Multiprocessing.Cli.Bench;

/// <summary>What the pipe and socket benchmark cases share: the echo worker, the timed round-trip loop, the statistics.</summary>
internal static class PipeBench
{
    internal const int RoundTrips = 50_000;
    internal const int Warmup = 2_000;
    internal static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    /// <summary>Asks the echo worker for its JIT time so far (microseconds), for the warm-up's quiet test.</summary>
    private const int AskJitTime = -2;

    /// <summary>
    /// Python's pipe_echo: send back every int until a negative one (Python's None), except <see cref="AskJitTime"/>, which
    /// is answered with this process's JIT time so far.
    /// </summary>
    internal static void Echo(Connection<int> c)
    {
        while (true)
        {
            int x = c.Receive();
            if (x == AskJitTime)
            {
                c.Send((int)Math.Min(int.MaxValue, System.Runtime.JitInfo.GetCompilationTime().Ticks / 10));
                continue;
            }

            if (x < 0)
            {
                return;
            }

            c.Send(x);
        }
    }

    /// <summary>
    /// mp_bench.py's <see cref="Warmup"/> round trips, then a cold pass of <see cref="RoundTrips"/> timed round trips (what
    /// mp_bench.py times; in a fresh .NET process it runs partly in unoptimised code), then untimed round trips until the
    /// JIT is quiet (<see cref="WarmUpUntilJitQuiet"/>, which also warms the echo side), then the timed pass.
    /// </summary>
    internal static RoundTripTimes TimeRoundTrips(Connection<int> c)
    {
        for (int i = 0; i < Warmup; i++)
        {
            c.Send(i);
            _ = c.Receive();
        }

        (_, long[] cold) = TimedPass(c);
        WarmUpUntilJitQuiet(c);
        int colocatedBefore = ColocatedWaits(c);
        (double seconds, long[] rtt) = TimedPass(c);
        int colocated = ColocatedWaits(c) - colocatedBefore;
        c.Send(-1);
        return new RoundTripTimes(seconds, rtt, Us(SortedStats.Median(cold)), Us(SortedStats.P99(cold)), c.Transport is ShmPipeTransport ? colocated : null);
    }

    /// <summary>
    /// Untimed round trips for at least <see cref="BenchWorkers.JitWarmup"/> and until the JIT has been quiet in this process and the echo's
    /// (<see cref="WarmSchedule"/>'s test), at most <see cref="WarmSchedule.MaxWarmup"/>. A fixed 300 ms was not enough for
    /// the first case of a bench run, whose process is fresh: in three of five runs its timed pass took 0.83–0.98 µs per
    /// round trip (median) while the same case run again in the same process took 0.32–0.33 µs, with the hardware floor
    /// (<see cref="HandoffFloor"/>) at 0.14–0.15 µs in both. Waiting for this process's JIT alone left two runs of five
    /// slow; with the echo's JIT time included (it answers <see cref="AskJitTime"/>), the first case came within
    /// 0.01–0.09 µs of pipe_pingpong_contended, timed after it, in five runs of six (in the sixth the floor changed
    /// between the two).
    /// </summary>
    private static void WarmUpUntilJitQuiet(Connection<int> c)
    {
        // Only the schedule's warm-up part is used: its cold and timed passes do nothing here (TimedPass times afterwards).
        _ = WarmSchedule.Run(
            pass: () => 0.0,
            seconds: static x => x,
            jitTicks: () =>
            {
                c.Send(AskJitTime);
                return System.Runtime.JitInfo.GetCompilationTime().Ticks + (c.Receive() * 10L);
            },
            warmupPass: () =>
            {
                for (int i = 0; i < 1_000; i++)
                {
                    c.Send(i);
                    _ = c.Receive();
                }

                return 0.0;
            },
            timedPasses: 1);
    }

    /// <summary>This end's waits so far that began on the CPU where the peer last waited (shared-memory pipes; 0 otherwise).</summary>
    private static int ColocatedWaits(Connection<int> c) => c.Transport is ShmPipeTransport shm ? shm.ColocatedWaits : 0;

    private static (double Seconds, long[] SortedRtt) TimedPass(Connection<int> c)
    {
        long[] rtt = new long[RoundTrips];
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < RoundTrips; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            c.Send(i);
            _ = c.Receive();
            rtt[i] = Stopwatch.GetTimestamp() - t0;
        }

        long end = Stopwatch.GetTimestamp();
        Array.Sort(rtt);
        return ((end - start) / (double)Stopwatch.Frequency, rtt);
    }

    /// <summary>A round-trip result with mp_bench.py's latency fields (median, nearest-rank p99, min).</summary>
    internal static BenchResult Latency(string name, RoundTripTimes times, Dictionary<string, object?> extraParams, (double MedianUs, double P99Us)? floor = null)
    {
        long[] sortedRtt = times.SortedRtt;
        Dictionary<string, object?> p = new() { ["payload"] = "int", ["duplex"] = true, ["warmup"] = Warmup, ["jit_warmup_ms"] = BenchWorkers.JitWarmup.TotalMilliseconds };
        foreach (KeyValuePair<string, object?> kv in extraParams)
        {
            p[kv.Key] = kv.Value;
        }

        int n = sortedRtt.Length;
        BenchResult result = new()
        {
            Name = name,
            Params = p,
            Count = n,
            Seconds = times.Seconds,
            RateUnit = "round_trips/s",
            MedianUs = Math.Round(Us(SortedStats.Median(sortedRtt)), 3),
            P99Us = Math.Round(Us(SortedStats.P99(sortedRtt)), 3),
            Extra = new()
            {
                ["min_us"] = Math.Round(Us(sortedRtt[0]), 3),
                ["p90_us"] = Math.Round(Us(SortedStats.Percentile(sortedRtt, 900)), 3),
                ["p999_us"] = Math.Round(Us(SortedStats.Percentile(sortedRtt, 999)), 3),
                ["max_us"] = Math.Round(Us(sortedRtt[^1]), 1),
                ["cold_median_us"] = Math.Round(times.ColdMedianUs, 3),
                ["cold_p99_us"] = Math.Round(times.ColdP99Us, 3),
            },
        };
        if (times.ColocatedWaits is { } colocated)
        {
            // Waits of the timing end that began on its peer's CPU: how long the scheduler kept the two ends on one CPU.
            result.Extra["colocated_waits"] = colocated;
        }

        if (floor is { } f)
        {
            // The hardware's floor in the same run (HandoffFloor): what no shared-memory pipe can beat on this placement.
            result.Extra["floor_median_us"] = f.MedianUs;
            result.Extra["floor_p99_us"] = f.P99Us;
        }

        return result;
    }

    private static double Us(double ticks) => ticks * 1e6 / Stopwatch.Frequency;

    /// <summary>The duplex pipe ping-pong with the echo in a worker; the parent times.</summary>
    internal static RoundTripTimes PipePingPong()
    {
        var (parent, child) = Pipe.Create<int>();
        using (parent)
        using (WorkerProcess echo = WorkerProcess.Start(static (Connection<int> c) => Echo(c), child))
        {
            child.Close();
            var r = TimeRoundTrips(parent);
            Reap(echo);
            return r;
        }
    }

    internal static void Reap(WorkerProcess w)
    {
        if (!w.Join(Patience))
        {
            w.Kill();
            throw new TimeoutException($"{w.Name} did not exit within {Patience.TotalSeconds:0} s.");
        }

        if (w.ExitCode != 0)
        {
            throw new InvalidOperationException($"{w.Name} failed with exit code {w.ExitCode}: {w.Failure}");
        }
    }
}
