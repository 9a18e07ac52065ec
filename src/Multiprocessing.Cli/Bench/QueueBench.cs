using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Multiprocessing.Cli.Bench;

/// <summary>
/// mp_bench.py's run_queue for our queues: n producer processes put their items and then one null sentinel, n
/// consumer processes get until a null; the children wait at a start gate (like mp_bench's Barrier) so that process
/// start-up is not timed; the time runs from the first producer's first put to the last consumer's last get, read
/// on CLOCK_MONOTONIC (Stopwatch) in each child.
/// </summary>
internal static class QueueBench
{
    internal static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>The gate block: [0] ready count, [1] go flag, then per child {timestamp, count}.</summary>
    internal static SharedMemoryBlock CreateGate(int children) => SharedMemoryBlock.Create(8L * (2 + (2 * children)));

    internal static Span<long> Longs(SharedMemoryBlock gate) => MemoryMarshal.Cast<byte, long>(gate.Span);

    /// <summary>In a child: says ready, then spins (yielding) until the parent opens the gate.</summary>
    internal static void Arrive(SharedMemoryBlock gate)
    {
        Interlocked.Increment(ref Longs(gate)[0]);
        long until = Environment.TickCount64 + (long)Timeout.TotalMilliseconds;
        while (Volatile.Read(ref Longs(gate)[1]) == 0)
        {
            if (Environment.TickCount64 > until)
            {
                throw new TimeoutException("The benchmark's start gate did not open within 2 minutes.");
            }

            Thread.Yield();
        }
    }

    internal static void Report(SharedMemoryBlock gate, int slot, long timestamp, long count)
    {
        Longs(gate)[2 + (2 * slot)] = timestamp;
        Longs(gate)[3 + (2 * slot)] = count;
    }

    /// <summary>Waits for <paramref name="children"/> to arrive, opens the gate, joins them and returns (seconds, received).</summary>
    internal static (double Seconds, long Received) OpenAndJoin(SharedMemoryBlock gate, IReadOnlyList<WorkerProcess> workers, int producers)
    {
        Stopwatch wait = Stopwatch.StartNew();
        while (Volatile.Read(ref Longs(gate)[0]) < workers.Count)
        {
            foreach (WorkerProcess w in workers)
            {
                if (!w.IsAlive)
                {
                    throw new InvalidOperationException($"benchmark worker {w.Name} exited early: {w.ExitCode} {w.Failure}");
                }
            }

            if (wait.Elapsed > Timeout)
            {
                throw new TimeoutException("The benchmark workers did not start within 2 minutes.");
            }

            Thread.Sleep(1);
        }

        Volatile.Write(ref Longs(gate)[1], 1);
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

        long t0 = long.MaxValue, t1 = long.MinValue, received = 0;
        for (int i = 0; i < workers.Count; i++)
        {
            long t = Longs(gate)[2 + (2 * i)];
            if (i < producers)
            {
                t0 = Math.Min(t0, t);
            }
            else
            {
                t1 = Math.Max(t1, t);
                received += Longs(gate)[3 + (2 * i)];
            }
        }

        return ((t1 - t0) / (double)Stopwatch.Frequency, received);
    }

    /// <summary>Small ints: n producers → n consumers on a <see cref="SharedQueue{T}"/> of int? (null is the sentinel).</summary>
    internal static BenchResult RunSmall(string name, int pairs, int perProducer)
    {
        using SharedQueue<int?> q = SharedQueue<int?>.Create();
        using SharedMemoryBlock gate = CreateGate(2 * pairs);
        List<WorkerProcess> workers = [];
        try
        {
            for (int p = 0; p < pairs; p++)
            {
                workers.Add(WorkerProcess.Start(static (SharedQueue<int?> q, SharedMemoryBlock gate, int slot, int n) =>
                {
                    Arrive(gate);
                    long t0 = Stopwatch.GetTimestamp();
                    for (int i = 0; i < n; i++)
                    {
                        q.Put(i);
                    }

                    q.Put(null);
                    Report(gate, slot, t0, n);
                }, q, gate, p, perProducer));
            }

            for (int c = 0; c < pairs; c++)
            {
                workers.Add(WorkerProcess.Start(static (SharedQueue<int?> q, SharedMemoryBlock gate, int slot) =>
                {
                    Arrive(gate);
                    long count = 0;
                    while (q.Get() is not null)
                    {
                        count++;
                    }

                    Report(gate, slot, Stopwatch.GetTimestamp(), count);
                }, q, gate, pairs + c));
            }

            (double seconds, long received) = OpenAndJoin(gate, workers, pairs);
            Check(received, (long)pairs * perProducer);
            return new BenchResult
            {
                Name = name,
                Params = new() { ["producers"] = pairs, ["consumers"] = pairs, ["payload"] = "int", ["method"] = "SharedQueue<int?>, worker processes" },
                Count = received,
                Seconds = seconds,
                RateUnit = "msgs/s",
            };
        }
        finally
        {
            Dispose(workers);
            q.Unlink();
            gate.Unlink();
        }
    }

    internal static void Check(long received, long sent)
    {
        if (received != sent)
        {
            throw new InvalidOperationException($"received {received} != sent {sent}");
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
