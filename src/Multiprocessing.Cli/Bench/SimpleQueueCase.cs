using System.Diagnostics;

namespace Multiprocessing.Cli.Bench;

/// <summary>mp_bench.py's case_simple_queue: as queue_small (1 → 1, 200 000 ints, a sentinel) on a <see cref="SimpleQueue{T}"/>.</summary>
internal sealed class SimpleQueueCase : IBenchCase
{
    private const int N = 200_000;

    public string Name => "simple_queue";

    public IReadOnlyList<string> ResultNames { get; } = ["simple_queue"];

    public string? PythonCase => "simple_queue";

    public IEnumerable<BenchResult> Run()
    {
        yield return RunOnce();
    }

    private static BenchResult RunOnce()
    {
        using SimpleQueue<int?> q = SimpleQueue<int?>.Create();
        using SharedMemoryBlock gate = QueueBench.CreateGate(2);
        List<WorkerProcess> workers = [];
        try
        {
            workers.Add(WorkerProcess.Start(static (SimpleQueue<int?> q, SharedMemoryBlock gate, int n) =>
            {
                QueueBench.Arrive(gate);
                long t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < n; i++)
                {
                    q.Put(i);
                }

                q.Put(null);
                QueueBench.Report(gate, 0, t0, n);
            }, q, gate, N));
            workers.Add(WorkerProcess.Start(static (SimpleQueue<int?> q, SharedMemoryBlock gate) =>
            {
                QueueBench.Arrive(gate);
                long count = 0;
                while (q.Get() is not null)
                {
                    count++;
                }

                QueueBench.Report(gate, 1, Stopwatch.GetTimestamp(), count);
            }, q, gate));
            (double seconds, long received) = QueueBench.OpenAndJoin(gate, workers, 1);
            QueueBench.Check(received, N);
            return new BenchResult
            {
                Name = "simple_queue",
                Params = new() { ["producers"] = 1, ["consumers"] = 1, ["payload"] = "int", ["method"] = "SimpleQueue<int?>, worker processes" },
                Count = received,
                Seconds = seconds,
                RateUnit = "msgs/s",
            };
        }
        finally
        {
            QueueBench.Dispose(workers);
            q.Unlink();
            gate.Unlink();
        }
    }
}
