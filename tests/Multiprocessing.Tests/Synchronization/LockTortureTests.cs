using System.Diagnostics;
using Xunit.Abstractions;

namespace Multiprocessing.Tests.Synchronization;

/// <summary>
/// Processes take a lock, change a shared structure in two steps, and release it, while the test kills them with
/// SIGKILL at random moments and starts replacements. Survivors must never deadlock, and the invariant kept under the
/// lock (a == b) must hold whenever a process takes the lock normally; a process told the lock was abandoned repairs it.
/// </summary>
public sealed class LockTortureTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(20);

    // Slots of the shared array: the two halves of the invariant, completed operations, violations seen, repairs made,
    // then one "started working" flag per worker slot.
    private const int A = 0, B = 1, Ops = 2, Violations = 3, Repairs = 4, Ready = 5, Slots = 3;

    [Fact]
    public void Random_kill_9_of_lock_users_never_deadlocks_and_never_breaks_the_invariant()
    {
        using SharedArray<long> data = SharedArray<long>.Create(Ready + Slots);
        using SharedValue<int> stop = SharedValue<int>.Create(0);
        List<WorkerProcess> workers = [.. Enumerable.Range(0, Slots).Select(i => StartWorker(data, stop, i))];
        Random random = new(12345);
        int kills = 0;
        try
        {
            Stopwatch sw = Stopwatch.StartNew();
            while (sw.Elapsed < Duration)
            {
                // Kill a worker that has started working, at a random moment of its cycle (the pause is not used to
                // synchronise anything: it only spreads the kills).
                int victim = random.Next(Slots);
                Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref data[Ready + victim]) != 0 || workers[victim].ExitCode is not null, Workers.JoinTimeout), "a worker never started");
                Assert.True(workers[victim].ExitCode is null, $"a worker failed: {workers[victim].Failure}");
                Thread.Sleep(random.Next(0, 30));
                workers[victim].Kill();
                Assert.True(workers[victim].Join(Workers.JoinTimeout), "a killed worker was not reaped");
                Assert.Equal(-9, workers[victim].ExitCode);
                workers[victim].Dispose();
                data[Ready + victim] = 0;
                workers[victim] = StartWorker(data, stop, victim);
                kills++;
            }

            stop.Value = 1;
            Workers.JoinOk([.. workers]);
        }
        finally
        {
            stop.Value = 1;
            Workers.KillAll(workers);
        }

        try
        {
            Assert.True(data.Lock.TryAcquire(TimeSpan.FromSeconds(5)), "the lock is still held after every worker exited");
        }
        catch (AbandonedMutexException)
        {
            Repair(data);
        }

        output.WriteLine($"{kills} kills, {data[Ops]} locked operations, {data[Repairs]} repairs after abandonment, {data[Violations]} violations");
        Assert.Equal(0, data[Violations]);
        Assert.Equal(data[A], data[B]);
        Assert.True(data[Ops] > 0, "no work was done");
        Assert.True(kills > 0);
        data.Lock.Release();
        data.Unlink();
        stop.Unlink();
    }

    private static WorkerProcess StartWorker(SharedArray<long> data, SharedValue<int> stop, int slot) =>
        WorkerProcess.Start(static (SharedArray<long> d, SharedValue<int> stop, int slot) => Work(d, stop, slot), data, stop, slot);

    private static void Work(SharedArray<long> d, SharedValue<int> stop, int slot)
    {
        Volatile.Write(ref d[Ready + slot], 1);
        while (stop.Value == 0)
        {
            try
            {
                if (!d.Lock.TryAcquire(TimeSpan.FromSeconds(30)))
                {
                    throw new TimeoutException("no lock for 30 s: deadlock");
                }

                if (d[A] != d[B])
                {
                    d[Violations]++;
                }
            }
            catch (AbandonedMutexException)
            {
                Repair(d);
            }

            // The invariant is broken between these two steps; a kill here leaves it broken for the next owner.
            d[A]++;
            Thread.SpinWait(200);
            d[B]++;
            d[Ops]++;
            d.Lock.Release();
        }
    }

    private static void Repair(SharedArray<long> d)
    {
        if (d[A] != d[B])
        {
            d[B] = d[A];
            d[Repairs]++;
        }
    }
}
