using System.Diagnostics;
using System.Globalization;

namespace Multiprocessing.Cli.Bench;

/// <summary>
/// No CPython counterpart: managed allocations per message in steady state (in-process Put+Get of an int, of a
/// 1 KiB byte span, and of a small record through MessagePack), and the CPU an idle consumer burns while blocked
/// in Get for one second (it spins briefly, then sleeps on the futex).
/// </summary>
internal sealed class QueueCostCase : IBenchCase
{
    public string Name => "queue_cost";

    public IReadOnlyList<string> ResultNames { get; } = ["queue_alloc_per_msg", "queue_idle_consumer_cpu"];

    public string? PythonCase => null;

    public IEnumerable<BenchResult> Run()
    {
        yield return Allocations();
        yield return IdleConsumer();
    }

    private static BenchResult Allocations()
    {
        const int n = 200_000;
        using SharedQueue<long> longs = SharedQueue<long>.Create();
        using SharedQueue<byte[]> bytes = SharedQueue<byte[]>.Create();
        using SharedQueue<BenchPoint> points = SharedQueue<BenchPoint>.Create();
        try
        {
            byte[] payload = new byte[1024];
            byte[] into = new byte[1024];
            BenchPoint p = new(1, 2);
            (double, double) Measure(Action one)
            {
                // Past the JIT's tier-up (see RoundGate): twice the usual warm-up, as this process also jits the other cases.
                BenchWorkers.WarmUp(one);
                BenchWorkers.WarmUp(one);

                long before = GC.GetAllocatedBytesForCurrentThread();
                long t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < n; i++)
                {
                    one();
                }

                double ns = Stopwatch.GetElapsedTime(t0).TotalNanoseconds / n;
                return ((GC.GetAllocatedBytesForCurrentThread() - before) / (double)n, ns);
            }

            (double longAlloc, double longNs) = Measure(() =>
            {
                longs.Put(42);
                _ = longs.Get();
            });
            (double bytesAlloc, double bytesNs) = Measure(() =>
            {
                bytes.PutBytes(payload);
                _ = bytes.GetBytes(into);
            });
            (double pointAlloc, double pointNs) = Measure(() =>
            {
                points.Put(p);
                _ = points.Get();
            });
            return new BenchResult
            {
                Name = "queue_alloc_per_msg",
                Params = new() { ["method"] = "in-process Put+Get, one thread, after 0.6 s of warm-up" },
                CountKey = "ops",
                Count = n,
                Seconds = longNs * n / 1e9,
                RateUnit = "put+get/s (long)",
                Extra = new()
                {
                    ["alloc_bytes_per_msg_long"] = Math.Round(longAlloc, 3),
                    ["alloc_bytes_per_msg_bytes_1k"] = Math.Round(bytesAlloc, 3),
                    ["alloc_bytes_per_msg_record"] = Math.Round(pointAlloc, 1),
                    ["ns_per_put_get_long"] = Math.Round(longNs, 1),
                    ["ns_per_put_get_bytes_1k"] = Math.Round(bytesNs, 1),
                    ["ns_per_put_get_record"] = Math.Round(pointNs, 1),
                },
            };
        }
        finally
        {
            longs.Unlink();
            bytes.Unlink();
            points.Unlink();
        }
    }

    private static BenchResult IdleConsumer()
    {
        using SharedQueue<int?> q = SharedQueue<int?>.Create();
        using SharedEvent ready = SharedEvent.Create();
        using WorkerProcess consumer = WorkerProcess.Start(static (SharedQueue<int?> q, SharedEvent ready) =>
        {
            ready.Set();
            _ = q.Get(); // blocks: nothing is put for a second
        }, q, ready);
        try
        {
            if (!ready.Wait(QueueBench.Timeout))
            {
                throw new TimeoutException("The idle consumer did not start within 2 minutes.");
            }

            Thread.Sleep(100); // let it reach Get
            double cpu0 = CpuSeconds(consumer.Pid);
            long t0 = Stopwatch.GetTimestamp();
            Thread.Sleep(1000);
            double cpu1 = CpuSeconds(consumer.Pid);
            double wall = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            q.Put(null);
            _ = consumer.Join(QueueBench.Timeout);
            double percent = (cpu1 - cpu0) / wall * 100;
            return new BenchResult
            {
                Name = "queue_idle_consumer_cpu",
                Params = new() { ["method"] = "a worker blocked in SharedQueue.Get for 1 s; its utime+stime from /proc" },
                CountKey = "ops",
                Count = 1,
                Seconds = wall,
                RateUnit = "idle s",
                Extra = new() { ["cpu_percent_of_one_core"] = Math.Round(percent, 2), ["cpu_s"] = Math.Round(cpu1 - cpu0, 3) },
            };
        }
        finally
        {
            q.Unlink();
            ready.Unlink();
        }
    }

    /// <summary>utime + stime of every thread of <paramref name="pid"/>, in seconds (clock ticks of 10 ms).</summary>
    private static double CpuSeconds(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) / 100.0;
    }
}
