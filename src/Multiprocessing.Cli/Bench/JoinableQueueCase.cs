using System.Diagnostics;

namespace Multiprocessing.Cli.Bench;

/// <summary>
/// mp_bench.py's case_joinable_queue, the seed pattern: the parent puts 100 000 ints and one null pill per consumer
/// (one consumer per CPU), consumers get, do trivial work and call TaskDone, and the parent's Join returns when all
/// are done. Timed from the first put to the end of Join, like mp_bench; unlike mp_bench, the clock starts once the
/// consumer processes are running (a forked CPython child runs within a millisecond, a .NET worker takes tens), and
/// the timed round follows a cold one and warm-up ones (<see cref="RoundGate"/>).
/// </summary>
internal sealed class JoinableQueueCase : IBenchCase
{
    private const int N = 100_000;

    public string Name => "joinable_queue";

    public IReadOnlyList<string> ResultNames { get; } = ["joinable_queue"];

    public string? PythonCase => "joinable_queue";

    public IEnumerable<BenchResult> Run()
    {
        yield return RunOnce(WorkerProcess.CpuCount);
    }

    private static BenchResult RunOnce(int consumers)
    {
        using JoinableQueue<int?> tasks = JoinableQueue<int?>.Create();
        using RoundGate gate = RoundGate.Create(consumers);
        List<WorkerProcess> workers = [];
        try
        {
            for (int c = 0; c < consumers; c++)
            {
                workers.Add(WorkerProcess.Start(static (JoinableQueue<int?> tasks, SharedMemoryBlock gate, int slot) =>
                {
                    while (RoundGate.Next(gate, slot))
                    {
                        long count = 0;
                        while (true)
                        {
                            int? t = tasks.Get();
                            if (t is null)
                            {
                                tasks.TaskDone();
                                break;
                            }

                            _ = t.Value * t.Value; // trivial "work"
                            count++;
                            tasks.TaskDone();
                        }

                        RoundGate.Finish(gate, slot, Stopwatch.GetTimestamp(), count);
                    }
                }, tasks, gate.Block, c));
            }

            // The parent is the producer, as in mp_bench: each round it puts the tasks and the pills, then joins.
            var rounds = gate.Run(workers, 0, () =>
            {
                long t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < N; i++)
                {
                    tasks.Put(i);
                }

                for (int c = 0; c < consumers; c++)
                {
                    tasks.Put(null);
                }

                if (!tasks.TryJoin(QueueBench.Timeout))
                {
                    throw new TimeoutException("joinable_queue: Join did not finish within 2 minutes.");
                }

                return (t0, Stopwatch.GetTimestamp());
            });
            QueueBench.Join(workers);
            return QueueBench.Result(
                "joinable_queue",
                new() { ["producer"] = "parent", ["consumers"] = consumers, ["payload"] = "int", ["method"] = "JoinableQueue<int?>, worker processes" },
                rounds,
                N,
                "tasks/s");
        }
        finally
        {
            QueueBench.Dispose(workers);
            tasks.Unlink();
        }
    }
}
