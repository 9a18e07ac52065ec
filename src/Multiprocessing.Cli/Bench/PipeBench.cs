using System.Diagnostics;

namespace Multiprocessing.Cli.Bench;

/// <summary>What the pipe and socket benchmark cases share: the echo worker, the timed round-trip loop, the statistics.</summary>
internal static class PipeBench
{
    internal const int RoundTrips = 50_000;
    internal const int Warmup = 2_000;
    internal static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    /// <summary>Python's pipe_echo: send back every int until a negative one (Python's None).</summary>
    internal static void Echo(Connection<int> c)
    {
        while (true)
        {
            int x = c.Receive();
            if (x < 0)
            {
                return;
            }

            c.Send(x);
        }
    }

    /// <summary>
    /// mp_bench.py's <see cref="Warmup"/> round trips, then a cold pass of <see cref="RoundTrips"/> timed round trips (what
    /// mp_bench.py times; in a fresh .NET process it runs partly in unoptimised code), then the JIT warm-up of the value
    /// cases (<see cref="BenchWorkers.WarmUp"/>: at least 300 ms of untimed round trips, which also warms the echo side),
    /// then the timed pass. Returns the timed pass's seconds and sorted round-trip times (Stopwatch ticks), and the cold
    /// pass's median and p99 in microseconds.
    /// </summary>
    internal static (double Seconds, long[] Rtt, (double MedianUs, double P99Us) Cold) TimeRoundTrips(Connection<int> c)
    {
        for (int i = 0; i < Warmup; i++)
        {
            c.Send(i);
            _ = c.Receive();
        }

        (_, long[] cold) = TimedPass(c);
        BenchWorkers.WarmUp(() =>
        {
            for (int i = 0; i < 1_000; i++)
            {
                c.Send(i);
                _ = c.Receive();
            }
        });
        (double seconds, long[] rtt) = TimedPass(c);
        c.Send(-1);
        return (seconds, rtt, (Us(SortedStats.Median(cold)), Us(SortedStats.P99(cold))));
    }

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
    internal static BenchResult Latency(string name, double seconds, long[] sortedRtt, (double MedianUs, double P99Us) cold, Dictionary<string, object?> extraParams)
    {
        Dictionary<string, object?> p = new() { ["payload"] = "int", ["duplex"] = true, ["warmup"] = Warmup, ["jit_warmup_ms"] = BenchWorkers.JitWarmup.TotalMilliseconds };
        foreach (KeyValuePair<string, object?> kv in extraParams)
        {
            p[kv.Key] = kv.Value;
        }

        int n = sortedRtt.Length;
        return new BenchResult
        {
            Name = name,
            Params = p,
            Count = n,
            Seconds = seconds,
            RateUnit = "round_trips/s",
            MedianUs = Math.Round(Us(SortedStats.Median(sortedRtt)), 3),
            P99Us = Math.Round(Us(SortedStats.P99(sortedRtt)), 3),
            Extra = new()
            {
                ["min_us"] = Math.Round(Us(sortedRtt[0]), 3),
                ["max_us"] = Math.Round(Us(sortedRtt[^1]), 1),
                ["cold_median_us"] = Math.Round(cold.MedianUs, 3),
                ["cold_p99_us"] = Math.Round(cold.P99Us, 3),
            },
        };
    }

    private static double Us(double ticks) => ticks * 1e6 / Stopwatch.Frequency;

    /// <summary>The duplex pipe ping-pong with the echo in a worker; the parent times.</summary>
    internal static (double Seconds, long[] Rtt, (double MedianUs, double P99Us) Cold) PipePingPong()
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
