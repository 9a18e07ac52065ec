namespace Multiprocessing.Cli.Bench;

/// <summary>
/// event_pingpong (mp_counterpart.py): two processes hand a turn back and forth through two <see cref="SharedEvent"/>s.
/// The parent sets ping and waits for pong; the child waits for ping, clears it, sets pong. Warm-up round trips (at
/// least 1 000, and for <see cref="BenchWorkers.JitWarmup"/>), then 20 000 timed one by one: rate, median, p99 (nearest
/// rank) and min in µs. The child echoes until the parent sets its stop value.
/// </summary>
internal sealed class EventPingPongCase : IBenchCase
{
    private const int N = 20_000;
    private const int Warmup = 1_000;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    public string Name => "event_pingpong";

    public IReadOnlyList<string> ResultNames => ["event_pingpong"];

    public string? PythonCase => "event_pingpong";

    public IEnumerable<BenchResult> Run()
    {
        using SharedEvent ping = SharedEvent.Create();
        using SharedEvent pong = SharedEvent.Create();
        using SharedValue<int> stop = SharedValue<int>.Create(0);
        WorkerProcess echo = WorkerProcess.Start(static (SharedEvent ping, SharedEvent pong, SharedValue<int> stop) => Echo(ping, pong, stop), ping, pong, stop);
        long[] rtt = new long[N];
        long start, end;
        try
        {
            BenchWorkers.WarmUp(() =>
            {
                for (int i = 0; i < Warmup / 100; i++)
                {
                    RoundTrip(ping, pong);
                }
            });

            start = BenchWorkers.NowNs();
            for (int i = 0; i < N; i++)
            {
                long t0 = BenchWorkers.NowNs();
                RoundTrip(ping, pong);
                rtt[i] = BenchWorkers.NowNs() - t0;
            }

            end = BenchWorkers.NowNs();
        }
        finally
        {
            stop.Value = 1;
            ping.Set();
            BenchWorkers.JoinAll(echo);
        }

        ping.Unlink();
        pong.Unlink();
        stop.Unlink();
        Array.Sort(rtt);
        double median = SortedStats.Median(rtt) / 1e3;
        yield return new BenchResult
        {
            Name = "event_pingpong",
            Params = new() { ["events"] = 2, ["warmup"] = Warmup, ["method"] = BenchWorkers.Method, ["jit_warmup_ms"] = BenchWorkers.JitWarmup.TotalMilliseconds },
            CountKey = "messages",
            Count = N,
            Seconds = (end - start) / 1e9,
            RateUnit = "round_trips/s",
            MedianUs = Math.Round(median, 2),
            P99Us = Math.Round(SortedStats.P99(rtt) / 1e3, 2),
            Extra = new() { ["min_us"] = Math.Round(rtt[0] / 1e3, 2) },
        };
    }

    private static void RoundTrip(SharedEvent ping, SharedEvent pong)
    {
        ping.Set();
        if (!pong.Wait(Timeout))
        {
            throw new TimeoutException("event_pingpong: no pong");
        }

        pong.Clear();
    }

    private static void Echo(SharedEvent ping, SharedEvent pong, SharedValue<int> stop)
    {
        while (true)
        {
            if (!ping.Wait(Timeout))
            {
                throw new TimeoutException("event_pingpong: no ping");
            }

            ping.Clear();
            if (stop.Value != 0)
            {
                return;
            }

            pong.Set();
        }
    }
}
