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
        using RoundGate gate = RoundGate.Create(2);
        List<WorkerProcess> workers = [];
        try
        {
            workers.Add(WorkerProcess.Start(static (SimpleQueue<int?> q, SharedMemoryBlock gate, int n) =>
            {
                while (RoundGate.Next(gate, 0))
                {
                    long t0 = Stopwatch.GetTimestamp();
                    for (int i = 0; i < n; i++)
                    {
                        q.Put(i);
                    }

                    q.Put(null);
                    RoundGate.Finish(gate, 0, t0, n);
                }
            }, q, gate.Block, N));
            workers.Add(WorkerProcess.Start(static (SimpleQueue<int?> q, SharedMemoryBlock gate) =>
            {
                while (RoundGate.Next(gate, 1))
                {
                    long count = 0;
                    while (q.Get() is not null)
                    {
                        count++;
                    }

                    RoundGate.Finish(gate, 1, Stopwatch.GetTimestamp(), count);
                }
            }, q, gate.Block));
            var rounds = gate.Run(workers, 1);
            QueueBench.Join(workers);
            return QueueBench.Result(
                "simple_queue",
                new() { ["producers"] = 1, ["consumers"] = 1, ["payload"] = "int", ["method"] = "SimpleQueue<int?>, worker processes" },
                rounds,
                N,
                "msgs/s");
        }
        finally
        {
            QueueBench.Dispose(workers);
            q.Unlink();
        }
    }
}
