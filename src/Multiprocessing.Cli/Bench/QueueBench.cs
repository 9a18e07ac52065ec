using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Multiprocessing.Cli.Bench;

/// <summary>
/// mp_bench.py's run_queue for our queues: n producer processes put their items and then one null sentinel, n
/// consumer processes get until a null. The children run the workload in <see cref="RoundGate"/> rounds (a cold
/// one, untimed warm-up ones, five timed ones whose median is reported), so that process start-up and JIT
/// compilation are not timed; the time
/// runs from the first producer's first put to the last consumer's last get, read on CLOCK_MONOTONIC (Stopwatch) in
/// each child.
/// </summary>
internal static class QueueBench
{
    internal static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>The result line: the median timed round, with the cold round, every timed round and the number of rounds in Extra.</summary>
    internal static BenchResult Result(string name, Dictionary<string, object?> parameters, Passes<RoundGate.Round> r, long sent, string unit, long payloadBytes = 0)
    {
        Check(r.Cold.Received, sent);
        Check(r.Median.Received, sent);
        Dictionary<string, object?> extra = r.Extra();
        if (payloadBytes > 0)
        {
            extra["bytes"] = sent * payloadBytes;
        }

        return new BenchResult
        {
            Name = name,
            Params = parameters,
            Count = sent,
            Seconds = r.Median.Seconds,
            RateUnit = unit,
            MbPerS = payloadBytes > 0 ? Math.Round(sent * (double)payloadBytes / r.Median.Seconds / 1e6, 1) : null,
            Extra = extra,
        };
    }

    /// <summary>Small ints: n producers → n consumers on a <see cref="SharedQueue{T}"/> of int? (null is the sentinel).</summary>
    internal static BenchResult RunSmall(string name, int pairs, int perProducer)
    {
        using SharedQueue<int?> q = SharedQueue<int?>.Create();
        using RoundGate gate = RoundGate.Create(2 * pairs);
        List<WorkerProcess> workers = [];
        try
        {
            for (int p = 0; p < pairs; p++)
            {
                workers.Add(WorkerProcess.Start(static (SharedQueue<int?> q, SharedMemoryBlock gate, int slot, int n) =>
                {
                    while (RoundGate.Next(gate, slot))
                    {
                        long t0 = Stopwatch.GetTimestamp();
                        for (int i = 0; i < n; i++)
                        {
                            q.Put(i);
                        }

                        q.Put(null);
                        RoundGate.Finish(gate, slot, t0, n);
                    }
                }, q, gate.Block, p, perProducer));
            }

            for (int c = 0; c < pairs; c++)
            {
                workers.Add(WorkerProcess.Start(static (SharedQueue<int?> q, SharedMemoryBlock gate, int slot) =>
                {
                    while (RoundGate.Next(gate, slot))
                    {
                        long count = 0;
                        while (q.Get() is not null)
                        {
                            count++;
                        }

                        RoundGate.Finish(gate, slot, Stopwatch.GetTimestamp(), count);
                    }
                }, q, gate.Block, pairs + c));
            }

            var rounds = gate.Run(workers, pairs);
            Join(workers);
            return Result(
                name,
                new() { ["producers"] = pairs, ["consumers"] = pairs, ["payload"] = "int", ["method"] = "SharedQueue<int?>, worker processes" },
                rounds,
                (long)pairs * perProducer,
                "msgs/s");
        }
        finally
        {
            Dispose(workers);
            q.Unlink();
        }
    }

    internal static void Check(long received, long sent)
    {
        if (received != sent)
        {
            throw new InvalidOperationException($"received {received} != sent {sent}");
        }
    }

    /// <summary>Joins the workers after their last round; throws if one hangs or failed.</summary>
    internal static void Join(List<WorkerProcess> workers)
    {
        foreach (WorkerProcess w in workers)
        {
            if (!w.Join(Timeout))
            {
                w.Kill();
                throw new TimeoutException($"benchmark worker {w.Name} did not finish within 2 minutes.");
            }

            if (w.ExitCode != 0)
            {
                throw new InvalidOperationException($"benchmark worker {w.Name} failed with exit code {w.ExitCode}: {w.Failure}");
            }
        }
    }

    internal static void Dispose(List<WorkerProcess> workers)
    {
        foreach (WorkerProcess w in workers)
        {
            w.Dispose();
        }
    }
}
