namespace Multiprocessing.Cli.Bench;

/// <summary>
/// mp_bench.py's value_lock_incr: processes wait at a barrier, then each adds 1 to a shared int 200 000 times, each
/// time under the value's lock (<c>with v.get_lock(): v.value += 1</c>). Timed from the first start stamp to the last
/// end stamp; the final value must be exact. Emits value_lock_incr (2 processes) and value_lock_incr_1p.
/// </summary>
internal sealed class ValueLockIncrCase : IBenchCase
{
    private const int PerProcess = 200_000;

    public string Name => "value_lock_incr";

    public IReadOnlyList<string> ResultNames => ["value_lock_incr", "value_lock_incr_1p"];

    public string? PythonCase => "value_lock_incr";

    public IEnumerable<BenchResult> Run()
    {
        yield return Measure("value_lock_incr", 2, locked: true);
        yield return Measure("value_lock_incr_1p", 1, locked: true);
    }

    /// <summary>Runs <paramref name="processes"/> incrementing processes, under the lock or with lock-free Increment.</summary>
    internal static BenchResult Measure(string name, int processes, bool locked)
    {
        using SharedValue<int> v = SharedValue<int>.Create(0);
        using SharedBarrier barrier = SharedBarrier.Create(processes);
        // Per worker: start stamp, end stamp, cold-run nanoseconds.
        using SharedRawArray<long> stamps = SharedRawArray<long>.Create(3 * processes);
        WorkerProcess[] workers = new WorkerProcess[processes];
        for (int i = 0; i < processes; i++)
        {
            workers[i] = locked
                ? WorkerProcess.Start(static (SharedValue<int> v, SharedBarrier b, SharedRawArray<long> s, int slot) => Run(v, b, s, slot, IncrementLocked), v, barrier, stamps, i)
                : WorkerProcess.Start(static (SharedValue<int> v, SharedBarrier b, SharedRawArray<long> s, int slot) => Run(v, b, s, slot, IncrementAtomic), v, barrier, stamps, i);
        }

        BenchWorkers.JoinAll(workers);
        int total = processes * PerProcess;
        if (v.Value != total)
        {
            throw new InvalidOperationException($"{name}: final value {v.Value} != {total}");
        }

        long first = long.MaxValue, last = long.MinValue, coldNs = 0;
        for (int i = 0; i < processes; i++)
        {
            first = Math.Min(first, stamps[3 * i]);
            last = Math.Max(last, stamps[(3 * i) + 1]);
            coldNs = Math.Max(coldNs, stamps[(3 * i) + 2]);
        }

        double coldSeconds = coldNs / 1e9;
        v.Unlink();
        barrier.Unlink();
        stamps.Unlink();
        return new BenchResult
        {
            Name = name,
            Params = new() { ["processes"] = processes, ["per_process"] = PerProcess, ["typecode"] = "i", ["method"] = BenchWorkers.Method, ["lock"] = locked ? "v.Lock" : "none (Increment)", ["jit_warmup_ms"] = BenchWorkers.JitWarmup.TotalMilliseconds },
            CountKey = "ops",
            Count = total,
            Seconds = (last - first) / 1e9,
            RateUnit = "incr/s",
            Extra = new() { ["final_value"] = total, ["exact"] = true, ["cold_seconds"] = Math.Round(coldSeconds, 6) },
        };
    }

    /// <summary>
    /// In a worker: times one cold run on a private value (the first loop, unoptimised code), warms the loop up, then
    /// meets the others at the barrier and runs the timed loop on the shared value.
    /// </summary>
    private static void Run(SharedValue<int> v, SharedBarrier b, SharedRawArray<long> stamps, int slot, Action<SharedValue<int>, int> loop)
    {
        using (SharedValue<int> own = SharedValue<int>.Create(0))
        {
            long c0 = BenchWorkers.NowNs();
            loop(own, PerProcess);
            stamps[(3 * slot) + 2] = BenchWorkers.NowNs() - c0;
            BenchWorkers.WarmUp(() => loop(own, 1_000));
            own.Unlink();
        }

        _ = b.SignalAndWait(TimeSpan.FromSeconds(60));
        long t0 = BenchWorkers.NowNs();
        loop(v, PerProcess);
        stamps[(3 * slot) + 1] = BenchWorkers.NowNs();
        stamps[3 * slot] = t0;
    }

    private static void IncrementLocked(SharedValue<int> v, int n)
    {
        SharedLock l = v.Lock;
        for (int i = 0; i < n; i++)
        {
            using (l.EnterScope())
            {
                v.Value += 1;
            }
        }
    }

    private static void IncrementAtomic(SharedValue<int> v, int n)
    {
        for (int i = 0; i < n; i++)
        {
            v.Increment();
        }
    }
}
