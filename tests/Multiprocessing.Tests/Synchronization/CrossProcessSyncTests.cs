namespace Multiprocessing.Tests.Synchronization;

/// <summary>Each primitive used by real worker processes.</summary>
public sealed class CrossProcessSyncTests
{
    private const int PerProcess = 200_000;

    [Fact]
    public void Two_processes_incrementing_under_the_lock_reach_exactly_400_000()
    {
        using SharedValue<int> v = SharedValue<int>.Create(0);
        using WorkerProcess a = WorkerProcess.Start(static (SharedValue<int> v, int n) => IncrementLocked(v, n), v, PerProcess);
        using WorkerProcess b = WorkerProcess.Start(static (SharedValue<int> v, int n) => IncrementLocked(v, n), v, PerProcess);
        Workers.JoinOk(a, b);
        Assert.Equal(2 * PerProcess, v.Value);
        v.Unlink();
    }

    [Fact]
    public void Two_processes_incrementing_lock_free_reach_exactly_400_000()
    {
        using SharedValue<long> v = SharedValue<long>.Create(0);
        using WorkerProcess a = WorkerProcess.Start(static (SharedValue<long> v, int n) => IncrementAtomic(v, n), v, PerProcess);
        using WorkerProcess b = WorkerProcess.Start(static (SharedValue<long> v, int n) => IncrementAtomic(v, n), v, PerProcess);
        Workers.JoinOk(a, b);
        Assert.Equal(2 * PerProcess, v.Value);
        v.Unlink();
    }

    [Fact]
    public void A_value_s_lock_passed_on_its_own_is_the_same_lock_in_the_worker()
    {
        using SharedValue<int> v = SharedValue<int>.Create(0);
        using SharedRawValue<int> raw = SharedRawValue<int>.Open(v.Name);
        using WorkerProcess w = WorkerProcess.Start(static (SharedLock l, SharedRawValue<int> raw, int n) =>
        {
            for (int i = 0; i < n; i++)
            {
                using (l.EnterScope())
                {
                    raw.Value += 1;
                }
            }
        }, v.Lock, raw, PerProcess);
        IncrementLocked(v, PerProcess);
        Workers.JoinOk(w);
        Assert.Equal(2 * PerProcess, v.Value);
        v.Unlink();
    }

    [Fact]
    public void A_standalone_lock_and_a_recursive_lock_exclude_across_processes()
    {
        using SharedLock l = SharedLock.Create();
        using SharedRecursiveLock r = SharedRecursiveLock.Create();
        using SharedRawArray<long> counters = SharedRawArray<long>.Create(2);
        using WorkerProcess a = WorkerProcess.Start(static (SharedLock l, SharedRecursiveLock r, SharedRawArray<long> c) => BothLocks(l, r, c), l, r, counters);
        using WorkerProcess b = WorkerProcess.Start(static (SharedLock l, SharedRecursiveLock r, SharedRawArray<long> c) => BothLocks(l, r, c), l, r, counters);
        Workers.JoinOk(a, b);
        Assert.Equal(2 * 50_000, counters[0]);
        Assert.Equal(2 * 50_000, counters[1]);
        l.Unlink();
        r.Unlink();
        counters.Unlink();
    }

    [Fact]
    public void Events_hand_a_turn_back_and_forth_between_processes()
    {
        using SharedEvent ping = SharedEvent.Create();
        using SharedEvent pong = SharedEvent.Create();
        using SharedValue<int> turns = SharedValue<int>.Create(0);
        using WorkerProcess w = WorkerProcess.Start(static (SharedEvent ping, SharedEvent pong, SharedValue<int> turns) =>
        {
            for (int i = 0; i < 1_000; i++)
            {
                Check(ping.Wait(TimeSpan.FromSeconds(30)), "ping");
                ping.Clear();
                turns.Increment();
                pong.Set();
            }
        }, ping, pong, turns);
        for (int i = 0; i < 1_000; i++)
        {
            ping.Set();
            Assert.True(pong.Wait(TimeSpan.FromSeconds(30)), $"no pong for turn {i}");
            pong.Clear();
            Assert.Equal(i + 1, turns.Value);
        }

        Workers.JoinOk(w);
        ping.Unlink();
        pong.Unlink();
        turns.Unlink();
    }

    [Fact]
    public async Task An_async_wait_is_woken_by_another_process()
    {
        using SharedEvent e = SharedEvent.Create();
        using SharedSemaphore s = SharedSemaphore.Create(0);
        using SharedLock l = SharedLock.Create();
        l.Acquire();
        Task<bool> eventWait = e.WaitAsync(Workers.JoinTimeout).AsTask();
        Task<bool> semWait = s.TryAcquireAsync(Workers.JoinTimeout).AsTask();
        using WorkerProcess w = WorkerProcess.Start(static (SharedEvent e, SharedSemaphore s, SharedLock l) =>
        {
            e.Set();
            s.Release();
            Check(l.TryAcquire(TimeSpan.FromSeconds(30)), "lock");
            l.Release();
        }, e, s, l);
        Assert.True(await eventWait.WaitAsync(Workers.JoinTimeout));
        Assert.True(await semWait.WaitAsync(Workers.JoinTimeout));
        l.Release();
        Workers.JoinOk(w);
        Assert.True(await l.TryAcquireAsync(Workers.JoinTimeout));
        l.Release();
        e.Unlink();
        s.Unlink();
        l.Unlink();
    }

    [Fact]
    public void A_condition_carries_notifications_both_ways_between_processes()
    {
        using SharedCondition c = SharedCondition.Create();
        using SharedValue<int> stage = SharedValue<int>.Create(0);
        using WorkerProcess w = WorkerProcess.Start(static (SharedCondition c, SharedValue<int> stage) =>
        {
            for (int round = 0; round < 200; round++)
            {
                using (c.Lock.EnterScope())
                {
                    Check(c.WaitFor(() => stage.Value == (2 * round) + 1, TimeSpan.FromSeconds(30)), "parent's notify");
                    stage.Value++;
                    c.NotifyAll();
                }
            }
        }, c, stage);
        for (int round = 0; round < 200; round++)
        {
            using (c.Lock.EnterScope())
            {
                stage.Value++;
                c.Notify();
                Assert.True(c.WaitFor(() => stage.Value == (2 * round) + 2, TimeSpan.FromSeconds(30)), $"no answer in round {round}");
            }
        }

        Workers.JoinOk(w);
        c.Unlink();
        stage.Unlink();
    }

    [Fact]
    public void A_barrier_of_three_processes_keeps_them_in_step()
    {
        using SharedBarrier b = SharedBarrier.Create(3);
        using SharedArray<int> rounds = SharedArray<int>.Create(3);
        using SharedValue<int> errors = SharedValue<int>.Create(0);
        using WorkerProcess w1 = WorkerProcess.Start(static (SharedBarrier b, SharedArray<int> r, SharedValue<int> e, int me) => Step(b, r, e, me), b, rounds, errors, 1);
        using WorkerProcess w2 = WorkerProcess.Start(static (SharedBarrier b, SharedArray<int> r, SharedValue<int> e, int me) => Step(b, r, e, me), b, rounds, errors, 2);
        Step(b, rounds, errors, 0);
        Workers.JoinOk(w1, w2);
        Assert.Equal(0, errors.Value);
        Assert.Equal([100, 100, 100], rounds.ToArray());
        b.Unlink();
        rounds.Unlink();
        errors.Unlink();
    }

    [Fact]
    public void A_bounded_semaphore_admits_at_most_its_count_and_refuses_an_extra_release_in_a_worker()
    {
        using SharedBoundedSemaphore s = SharedBoundedSemaphore.Create(2, 2);
        using SharedArray<int> inside = SharedArray<int>.Create(2);
        WorkerProcess[] ws = [.. Enumerable.Range(0, 3).Select(_ => WorkerProcess.Start(static (SharedBoundedSemaphore s, SharedArray<int> inside) =>
        {
            for (int i = 0; i < 2_000; i++)
            {
                Check(s.TryAcquire(TimeSpan.FromSeconds(30)), "a permit");
                int now = Interlocked.Increment(ref inside[0]);
                int most = Volatile.Read(ref inside[1]);
                while (now > most && Interlocked.CompareExchange(ref inside[1], now, most) != most)
                {
                    most = Volatile.Read(ref inside[1]);
                }

                Interlocked.Decrement(ref inside[0]);
                s.Release();
            }
        }, s, inside))];
        try
        {
            Workers.JoinOk(ws);
        }
        finally
        {
            Workers.KillAll(ws);
        }

        Assert.InRange(inside[1], 1, 2);
        Assert.Equal(2, s.CurrentCount);
        using WorkerProcess extra = WorkerProcess.Start(static (SharedBoundedSemaphore s) => s.Release(), s);
        Assert.True(extra.Join(Workers.JoinTimeout));
        Assert.Equal("System.Threading.SemaphoreFullException", extra.Failure?.RemoteTypeName);
        s.Unlink();
        inside.Unlink();
    }

    internal static void Check(bool ok, string what)
    {
        if (!ok)
        {
            throw new TimeoutException($"timed out waiting for {what}");
        }
    }

    private static void IncrementLocked(SharedValue<int> v, int n)
    {
        for (int i = 0; i < n; i++)
        {
            using (v.Lock.EnterScope())
            {
                v.Value += 1;
            }
        }
    }

    private static void IncrementAtomic(SharedValue<long> v, int n)
    {
        for (int i = 0; i < n; i++)
        {
            v.Increment();
        }
    }

    private static void BothLocks(SharedLock l, SharedRecursiveLock r, SharedRawArray<long> c)
    {
        for (int i = 0; i < 50_000; i++)
        {
            l.Acquire();
            c[0]++;
            l.Release();
            using (r.EnterScope())
            using (r.EnterScope())
            {
                c[1]++;
            }
        }
    }

    private static void Step(SharedBarrier b, SharedArray<int> rounds, SharedValue<int> errors, int me)
    {
        for (int round = 1; round <= 100; round++)
        {
            rounds[me] = round;
            _ = b.SignalAndWait(TimeSpan.FromSeconds(30));
            for (int other = 0; other < 3; other++)
            {
                if (Volatile.Read(ref rounds[other]) < round)
                {
                    errors.Increment();
                }
            }

            _ = b.SignalAndWait(TimeSpan.FromSeconds(30));
        }
    }
}
