using System.Diagnostics;

namespace Multiprocessing.Tests.Synchronization;

/// <summary>What survivors see when a process is killed with SIGKILL while it holds or waits on a primitive.</summary>
public sealed class KillTests
{
    [Fact]
    public async Task Killing_the_lock_holder_lets_the_next_waiter_in_within_a_second_told_it_was_abandoned()
    {
        using SharedLock l = SharedLock.Create();
        using SharedEvent holding = SharedEvent.Create();
        using WorkerProcess holder = WorkerProcess.Start(static (SharedLock l, SharedEvent holding) => HoldForever(l, holding), l, holding);
        Assert.True(holding.Wait(Workers.JoinTimeout), "the holder did not take the lock");
        Assert.Equal(holder.Pid, l.OwnerProcessId);

        // A waiter already asleep on the lock when the holder dies.
        Task<Exception?> waiter = Task.Factory.StartNew<Exception?>(
            () => Record.Exception(() => l.TryAcquire(Workers.JoinTimeout)),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        Assert.True(SpinWait.SpinUntil(() => SleepingWaiters(l) > 0, Workers.JoinTimeout), "the waiter never went to sleep");
        Assert.False(waiter.IsCompleted, "the waiter got a lock that is held");
        holder.Kill();
        Exception? seen = await waiter.WaitAsync(TimeSpan.FromSeconds(1));
        Assert.IsType<AbandonedMutexException>(seen);
        Assert.True(l.IsHeldByCurrentProcess);
        l.Release();
        Assert.True(holder.Join(Workers.JoinTimeout));
        Assert.Equal(-9, holder.ExitCode);
        l.Unlink();
        holding.Unlink();
    }

    [Fact]
    public async Task Killing_the_holder_of_a_value_s_lock_wakes_an_async_waiter_in_another_process()
    {
        using SharedValue<int> v = SharedValue<int>.Create(0);
        using SharedEvent holding = SharedEvent.Create();
        using WorkerProcess holder = WorkerProcess.Start(static (SharedValue<int> v, SharedEvent holding) => HoldForever(v.Lock, holding), v, holding);
        Assert.True(holding.Wait(Workers.JoinTimeout), "the holder did not take the lock");
        using SharedValue<int> outcome = SharedValue<int>.Create(0);
        using WorkerProcess waiter = WorkerProcess.Start(static (SharedValue<int> v, SharedValue<int> outcome) =>
        {
            try
            {
                bool got = v.Lock.TryAcquireAsync(TimeSpan.FromSeconds(30)).AsTask().GetAwaiter().GetResult();
                outcome.Value = got ? 1 : 2;
            }
            catch (AbandonedMutexException)
            {
                outcome.Value = 3;
                v.Value = 42;
                v.Lock.Release();
            }
        }, v, outcome);
        holder.Kill();
        Workers.JoinOk(waiter);
        Assert.Equal(3, outcome.Value);
        Assert.Equal(42, v.Value);
        Assert.True(await v.Lock.TryAcquireAsync(TimeSpan.FromSeconds(5)));
        v.Lock.Release();
        Assert.True(holder.Join(Workers.JoinTimeout));
        v.Unlink();
        outcome.Unlink();
        holding.Unlink();
    }

    [Fact]
    public void A_recursive_lock_held_twice_by_a_killed_process_is_taken_over_once()
    {
        using SharedRecursiveLock r = SharedRecursiveLock.Create();
        using SharedEvent holding = SharedEvent.Create();
        using WorkerProcess holder = WorkerProcess.Start(static (SharedRecursiveLock r, SharedEvent holding) =>
        {
            r.Acquire();
            r.Acquire();
            holding.Set();
            Thread.Sleep(Timeout.Infinite);
        }, r, holding);
        Assert.True(holding.Wait(Workers.JoinTimeout));
        holder.Kill();
        Assert.Throws<AbandonedMutexException>(() => r.TryAcquire(TimeSpan.FromSeconds(5)));
        Assert.Equal(1, r.RecursionCount);
        r.Release();
        Assert.Equal(0, r.OwnerProcessId);
        Assert.True(holder.Join(Workers.JoinTimeout));
        r.Unlink();
        holding.Unlink();
    }

    [Fact]
    public void A_barrier_with_a_killed_party_breaks_within_its_timeout_for_every_waiter()
    {
        using SharedBarrier b = SharedBarrier.Create(3);
        using SharedEvent started = SharedEvent.Create();
        using WorkerProcess doomed = WorkerProcess.Start(static (SharedEvent started) =>
        {
            started.Set();
            Thread.Sleep(Timeout.Infinite);
        }, started);
        using WorkerProcess party = WorkerProcess.Start(static (SharedBarrier b) => b.SignalAndWait(TimeSpan.FromSeconds(30)), b);
        Assert.True(started.Wait(Workers.JoinTimeout));
        doomed.Kill();
        Stopwatch sw = Stopwatch.StartNew();
        Assert.Throws<BrokenBarrierException>(() => b.SignalAndWait(TimeSpan.FromMilliseconds(500)));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"the barrier broke only after {sw.Elapsed}");
        Assert.True(party.Join(Workers.JoinTimeout), "the other party was not released by the broken barrier");
        Assert.Equal("Multiprocessing.BrokenBarrierException", party.Failure?.RemoteTypeName);
        Assert.True(b.IsBroken);
        Assert.True(doomed.Join(Workers.JoinTimeout));
        b.Unlink();
        started.Unlink();
    }

    private static unsafe int SleepingWaiters(SharedLock l) => Multiprocessing.Internal.RobustMutex.SleepingWaiters(l.Mutex);

    private static void HoldForever(SharedLock l, SharedEvent holding)
    {
        l.Acquire();
        holding.Set();
        Thread.Sleep(Timeout.Infinite);
    }
}
