using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Multiprocessing.Cli.Bench;

/// <summary>
/// Runs one workload several times in the same worker processes, in lock-step rounds, on the
/// <see cref="WarmSchedule"/> (a cold round, untimed ones until the JIT is quiet in every process, then timed rounds
/// whose median the case reports). Every round is the whole workload (its sentinels included), so the consumers finish
/// a round and come back to the gate, and no message of one round is counted in another.
/// <para>
/// The block: [0] arrivals, [1] stop flag, [2] finishes, then per child {timestamp, count, JIT time in ticks};
/// arrivals and finishes are cumulative. Set MP_BENCH_ROUNDS=1 to print every round on stderr. The parent starts a
/// round by releasing one permit on each child's own named semaphore (the block's name + ".go" + slot), so children
/// wait for it asleep and take no CPU from those still working on the last round (one semaphore per child: a child
/// that finished early cannot take another's permit).
/// </para>
/// </summary>
internal sealed class RoundGate : IDisposable
{
    private readonly SharedMemoryBlock _block;
    private readonly SharedSemaphore[] _go;
    private readonly int _children;

    [ThreadStatic]
    private static SharedSemaphore? t_go;

    private RoundGate(SharedMemoryBlock block, int children)
    {
        _block = block;
        _go = new SharedSemaphore[children];
        for (int i = 0; i < children; i++)
        {
            _go[i] = SharedSemaphore.Create(GoName(block, i), 0);
        }

        _children = children;
    }

    /// <summary>The block to pass to the children (they call the static members with it).</summary>
    internal SharedMemoryBlock Block => _block;

    internal static RoundGate Create(int children) => new(SharedMemoryBlock.Create(8L * (3 + (Stride * children))), children);

    /// <summary>Longs per child in the block.</summary>
    private const int Stride = 3;

    private static readonly bool s_verbose = Environment.GetEnvironmentVariable("MP_BENCH_ROUNDS") is not null;

    private static string GoName(SharedMemoryBlock block, int slot) => $"{block.Name}.go{slot}";

    private static Span<long> Longs(SharedMemoryBlock block) => MemoryMarshal.Cast<byte, long>(block.Span);

    // ---- in a child ---------------------------------------------------------------------------------------------

    /// <summary>In a child: arrives for the next round and waits until the parent starts it (true) or stops (false).</summary>
    internal static bool Next(SharedMemoryBlock block, int slot)
    {
        SharedSemaphore go = t_go ??= SharedSemaphore.Open(GoName(block, slot));
        Interlocked.Increment(ref Longs(block)[0]);
        if (!go.TryAcquire(QueueBench.Timeout))
        {
            throw new TimeoutException("The benchmark's round gate did not open within 2 minutes.");
        }

        return Volatile.Read(ref Longs(block)[1]) == 0;
    }

    /// <summary>In a child: records this round's stamp and count, then says it has finished.</summary>
    internal static void Finish(SharedMemoryBlock block, int slot, long timestamp, long count)
    {
        Longs(block)[3 + (Stride * slot)] = timestamp;
        Longs(block)[4 + (Stride * slot)] = count;
        Longs(block)[5 + (Stride * slot)] = System.Runtime.JitInfo.GetCompilationTime().Ticks;
        Interlocked.Increment(ref Longs(block)[2]);
    }

    // ---- in the parent ------------------------------------------------------------------------------------------

    /// <summary>
    /// Runs the rounds on the <see cref="WarmSchedule"/>. <paramref name="parentWork"/> (may be null) runs in the
    /// parent during each round and returns its own (start, end) stamps or null. Stops the children at the end (they
    /// then return from their lambda).
    /// </summary>
    internal Passes<Round> Run(IReadOnlyList<WorkerProcess> workers, int producers, Func<(long T0, long T1)?>? parentWork = null)
    {
        int round = 1;
        Passes<Round> passes = WarmSchedule.Run(() => RunRound(round++, workers, producers, parentWork), x => x.Seconds, JitTicksEverywhere);
        AwaitCount(0, (long)_children * round, workers, "arrive after the last round");
        Volatile.Write(ref Longs(_block)[1], 1);
        ReleaseAll();
        return passes;
    }

    /// <summary>Time spent in the JIT so far, summed over this process and the children (as of their last round).</summary>
    private long JitTicksEverywhere()
    {
        long sum = System.Runtime.JitInfo.GetCompilationTime().Ticks;
        for (int i = 0; i < _children; i++)
        {
            sum += Volatile.Read(ref Longs(_block)[5 + (Stride * i)]);
        }

        return sum;
    }

    private Round RunRound(int round, IReadOnlyList<WorkerProcess> workers, int producers, Func<(long T0, long T1)?>? parentWork)
    {
        AwaitCount(0, (long)_children * round, workers, "arrive at the gate");
        ReleaseAll();
        (long T0, long T1)? mine = parentWork?.Invoke();
        AwaitCount(2, (long)_children * round, workers, "finish a round");
        Span<long> l = Longs(_block);
        // When the parent does the work (it puts, and its Join ends the round), its own stamps are the interval.
        long t0 = mine?.T0 ?? long.MaxValue, t1 = mine?.T1 ?? long.MinValue, received = 0;
        for (int i = 0; i < _children; i++)
        {
            long t = l[3 + (Stride * i)];
            if (i < producers)
            {
                t0 = mine is null ? Math.Min(t0, t) : t0;
            }
            else
            {
                t1 = mine is null ? Math.Max(t1, t) : t1;
                received += l[4 + (Stride * i)];
            }
        }

        Round result = new((t1 - t0) / (double)Stopwatch.Frequency, received);
        if (s_verbose)
        {
            long[] copy = l.ToArray();
            IEnumerable<string> ends = Enumerable.Range(0, _children).Select(i => FormattableString.Invariant(
                $"+{(copy[3 + (Stride * i)] - t0) * 1000.0 / Stopwatch.Frequency:F1} ms ({copy[4 + (Stride * i)]} msgs, {copy[5 + (Stride * i)] / 10_000.0:F1} ms in the JIT)"));
            Console.Error.WriteLine(FormattableString.Invariant($"# round {round}: {result.Seconds:F4} s, {result.Received} received; children end at {string.Join(", ", ends)}"));
        }

        return result;
    }

    private void ReleaseAll()
    {
        foreach (SharedSemaphore go in _go)
        {
            _ = go.Release();
        }
    }

    private void AwaitCount(int index, long target, IReadOnlyList<WorkerProcess> workers, string what)
    {
        // Sleeps, never spins: the parent must not take CPU from the workers while they are timed (2 cores).
        Stopwatch wait = Stopwatch.StartNew();
        while (Volatile.Read(ref Longs(_block)[index]) < target)
        {
            foreach (WorkerProcess w in workers)
            {
                if (!w.IsAlive)
                {
                    throw new InvalidOperationException($"benchmark worker {w.Name} exited early: {w.ExitCode} {w.Failure}");
                }
            }

            if (wait.Elapsed > QueueBench.Timeout)
            {
                throw new TimeoutException($"The benchmark workers did not {what} within 2 minutes.");
            }

            Thread.Sleep(1);
        }
    }

    public void Dispose()
    {
        _block.Unlink();
        _block.Dispose();
        foreach (SharedSemaphore go in _go)
        {
            go.Unlink();
            go.Dispose();
        }
    }

    /// <summary>One round's result: seconds from the first producer's first put to the last consumer's last get, and messages received.</summary>
    internal readonly record struct Round(double Seconds, long Received);
}
