namespace Multiprocessing.Cli.Bench;

/// <summary>
/// mp_bench.py's array_bulk: a child writes a[i] = i into a shared array of 1 000 000 doubles without a lock, one
/// element at a time (array_bulk_write, timed in the child); then the parent sums it one element at a time
/// (array_bulk_sum). The sum must be exact.
/// </summary>
internal sealed class ArrayBulkCase : IBenchCase
{
    private const int Length = 1_000_000;

    public string Name => "array_bulk";

    public IReadOnlyList<string> ResultNames => ["array_bulk_write", "array_bulk_sum"];

    public string? PythonCase => "array_bulk";

    public IEnumerable<BenchResult> Run()
    {
        using SharedRawArray<double> a = SharedRawArray<double>.Create(Length);
        using SharedRawArray<long> stamps = SharedRawArray<long>.Create(3);
        BenchWorkers.JoinAll(WorkerProcess.Start(static (SharedRawArray<double> a, SharedRawArray<long> s) => Write(a, s), a, stamps));

        long c0 = BenchWorkers.NowNs();
        double sum = Sum(a);
        long coldSum = BenchWorkers.NowNs() - c0;
        BenchWorkers.WarmUp(() => sum = Sum(a));
        long t0 = BenchWorkers.NowNs();
        sum = Sum(a);
        long t1 = BenchWorkers.NowNs();
        double expected = Length * (Length - 1.0) / 2;
        if (sum != expected)
        {
            throw new InvalidOperationException($"array_bulk: sum {sum} != {expected}");
        }

        long w0 = stamps[0], w1 = stamps[1], coldWrite = stamps[2];
        a.Unlink();
        stamps.Unlink();
        Dictionary<string, object?> Params(string side) => new()
        {
            ["typecode"] = "d", ["length"] = Length, ["lock"] = false, ["numpy"] = false, ["method"] = BenchWorkers.Method, ["side"] = side, ["jit_warmup_ms"] = BenchWorkers.JitWarmup.TotalMilliseconds,
        };
        yield return new BenchResult
        {
            Name = "array_bulk_write", Params = Params("child a[i]=i"), CountKey = "ops", Count = Length, Seconds = (w1 - w0) / 1e9, RateUnit = "elements/s",
            Extra = new() { ["cold_seconds"] = Math.Round(coldWrite / 1e9, 6) },
        };
        yield return new BenchResult
        {
            Name = "array_bulk_sum", Params = Params("parent sum(a)"), CountKey = "ops", Count = Length, Seconds = (t1 - t0) / 1e9, RateUnit = "elements/s",
            Extra = new() { ["sum_ok"] = true, ["cold_seconds"] = Math.Round(coldSum / 1e9, 6) },
        };
    }

    /// <summary>In the worker: one cold pass (timed apart), a warm-up, then the timed pass.</summary>
    private static void Write(SharedRawArray<double> a, SharedRawArray<long> stamps)
    {
        long c0 = BenchWorkers.NowNs();
        Fill(a);
        stamps[2] = BenchWorkers.NowNs() - c0;
        BenchWorkers.WarmUp(() => Fill(a));
        a.Span.Clear();
        long t0 = BenchWorkers.NowNs();
        Fill(a);
        stamps[1] = BenchWorkers.NowNs();
        stamps[0] = t0;
    }

    /// <summary>a[i] = i, one element at a time through the indexer.</summary>
    private static void Fill(SharedRawArray<double> a)
    {
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = i;
        }
    }

    /// <summary>The sum, one element at a time through the indexer.</summary>
    private static double Sum(SharedRawArray<double> a)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += a[i];
        }

        return sum;
    }
}
