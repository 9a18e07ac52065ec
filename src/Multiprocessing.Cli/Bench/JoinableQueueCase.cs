using System.Diagnostics;

namespace Multiprocessing.Cli.Bench;

/// <summary>
/// mp_bench.py's case_joinable_queue, the seed pattern: the parent puts 100 000 ints and one null pill per consumer
/// (one consumer per CPU), consumers get, do trivial work and call TaskDone, and the parent's Join returns when all
/// are done. Timed from the first put to the end of Join, like mp_bench; unlike mp_bench, the clock starts once the
/// consumer processes are running (a forked CPython child runs within a millisecond, a .NET worker takes tens).
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
        using SharedQueue<long> doneCounts = SharedQueue<long>.Create();
        using SharedMemoryBlock gate = QueueBench.CreateGate(consumers);
        List<WorkerProcess> workers = [];
        try
        {
            for (int c = 0; c < consumers; c++)
            {
                workers.Add(WorkerProcess.Start(static (JoinableQueue<int?> tasks, SharedQueue<long> doneCounts, SharedMemoryBlock gate) =>
                {
                    QueueBench.Arrive(gate);
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

                    doneCounts.Put(count);
                }, tasks, doneCounts, gate));
            }

            Stopwatch wait = Stopwatch.StartNew();
            while (Volatile.Read(ref QueueBench.Longs(gate)[0]) < consumers && wait.Elapsed < QueueBench.Timeout)
            {
                Thread.Sleep(1);
            }

            Volatile.Write(ref QueueBench.Longs(gate)[1], 1);
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

            double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            long handled = 0;
            for (int c = 0; c < consumers; c++)
            {
                handled += doneCounts.TryGet(out long n, QueueBench.Timeout) ? n : throw new TimeoutException("a consumer did not report");
            }

            QueueBench.Check(handled, N);
            foreach (WorkerProcess w in workers)
            {
                _ = w.Join(QueueBench.Timeout);
            }

            return new BenchResult
            {
                Name = "joinable_queue",
                Params = new() { ["producer"] = "parent", ["consumers"] = consumers, ["payload"] = "int", ["method"] = "JoinableQueue<int?>, worker processes" },
                Count = N,
                Seconds = seconds,
                RateUnit = "tasks/s",
            };
        }
        finally
        {
            QueueBench.Dispose(workers);
            tasks.Unlink();
            doneCounts.Unlink();
            gate.Unlink();
        }
    }
}
