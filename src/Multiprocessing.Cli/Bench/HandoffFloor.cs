using System.Diagnostics;
using System.Runtime.Intrinsics.X86;

namespace Multiprocessing.Cli.Bench;

/// <summary>
/// The hardware's floor for a ping-pong, measured in the same run as the pipe's: two threads of this process hand a
/// counter back and forth through two cache lines, with no library code, each round trip timed exactly as
/// <see cref="PipeBench.TimeRoundTrips"/> times the pipe's. On this shared VM the floor moves by a factor of ten from run
/// to run (where the host places the two vCPUs), so a pipe figure means little without the floor next to it.
/// </summary>
internal static class HandoffFloor
{
    private const int Warmup = 20_000;

    /// <summary>Median and p99 in microseconds of <see cref="PipeBench.RoundTrips"/> timed round trips.</summary>
    internal static (double MedianUs, double P99Us) Measure()
    {
        // Two longs 128 bytes apart: each on its own line (and out of the adjacent-line prefetcher's pair).
        long[] lines = new long[48];
        const int Ping = 8;
        const int Pong = 40;
        int total = Warmup + PipeBench.RoundTrips;
        Thread echo = new(() =>
        {
            for (long i = 1; i <= total; i++)
            {
                while (Volatile.Read(ref lines[Ping]) != i)
                {
                    Pause();
                }

                Volatile.Write(ref lines[Pong], i);
            }
        }) { IsBackground = true, Name = "handoff floor echo" };
        echo.Start();
        long[] rtt = new long[PipeBench.RoundTrips];
        for (long i = 1; i <= total; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            Volatile.Write(ref lines[Ping], i);
            while (Volatile.Read(ref lines[Pong]) != i)
            {
                Pause();
            }

            if (i > Warmup)
            {
                rtt[i - Warmup - 1] = Stopwatch.GetTimestamp() - t0;
            }
        }

        echo.Join();
        Array.Sort(rtt);
        double us = 1e6 / Stopwatch.Frequency;
        return (Math.Round(SortedStats.Median(rtt) * us, 3), Math.Round(SortedStats.P99(rtt) * us, 3));
    }

    private static void Pause()
    {
        if (X86Base.IsSupported)
        {
            X86Base.Pause();
        }
        else
        {
            Thread.SpinWait(1);
        }
    }
}
