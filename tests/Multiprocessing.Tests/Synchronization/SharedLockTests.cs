using Multiprocessing.Internal;

namespace Multiprocessing.Tests.Synchronization;

public sealed class SharedLockTests
{
    private static unsafe void SetOwner(SharedLock l, int pid) => l.Mutex->Word = pid;

    [Fact]
    public void Threads_incrementing_under_the_lock_lose_nothing()
    {
        using SharedLock l = SharedLock.Create();
        int counter = 0;
        TestThreads.RunAll(4, _ =>
        {
            for (int i = 0; i < 20_000; i++)
            {
                using (l.EnterScope())
                {
                    counter++;
                }
            }
        });
        Assert.Equal(80_000, counter);
        l.Unlink();
    }

    [Fact]
    public void A_second_handle_sees_the_lock_held_and_TryAcquire_times_out()
    {
        string name = SegmentNames.NewAnonymous("test-lock");
        using SharedLock a = SharedLock.Create(name);
        using SharedLock b = SharedLock.Open(name);
        a.Acquire();
        Assert.True(b.IsHeldByCurrentProcess);
        Assert.Equal(Environment.ProcessId, b.OwnerProcessId);
        Assert.False(b.TryAcquire(TimeSpan.Zero));
        Assert.False(b.TryAcquire(TimeSpan.FromMilliseconds(20)));
        b.Release();
        Assert.Equal(0, a.OwnerProcessId);
        Assert.True(b.TryAcquire(TimeSpan.Zero));
        a.Release();
        a.Unlink();
        Assert.False(File.Exists("/dev/shm/mp." + name));
    }

    [Fact]
    public void Releasing_a_free_lock_is_an_error()
    {
        using SharedLock l = SharedLock.Create();
        SynchronizationLockException e = Assert.Throws<SynchronizationLockException>(l.Release);
        Assert.Contains(l.Name, e.Message, StringComparison.Ordinal);
        l.Unlink();
    }

    [Fact]
    public void Releasing_a_lock_held_by_another_process_is_an_error()
    {
        using SharedLock l = SharedLock.Create();
        SetOwner(l, Environment.ProcessId + 1_000_000);
        SynchronizationLockException e = Assert.Throws<SynchronizationLockException>(l.Release);
        Assert.Contains("held by process", e.Message, StringComparison.Ordinal);
        SetOwner(l, 0);
        l.Unlink();
    }

    [Fact]
    public void A_waiter_takes_over_from_a_dead_owner_and_is_told_it_was_abandoned()
    {
        using SharedLock l = SharedLock.Create();
        SetOwner(l, TestThreads.DeadPid());
        AbandonedMutexException e = Assert.Throws<AbandonedMutexException>(l.Acquire);
        Assert.Contains("abandoned", e.Message, StringComparison.Ordinal);
        Assert.True(l.IsHeldByCurrentProcess);
        l.Release();
        l.Acquire();
        l.Release();
        l.Unlink();
    }

    [Fact]
    public async Task An_async_waiter_takes_over_from_a_dead_owner()
    {
        using SharedLock l = SharedLock.Create();
        SetOwner(l, TestThreads.DeadPid());
        await Assert.ThrowsAsync<AbandonedMutexException>(async () => await l.AcquireAsync());
        Assert.True(l.IsHeldByCurrentProcess);
        l.Release();
        l.Unlink();
    }

    [Fact]
    public async Task AcquireAsync_completes_when_another_thread_releases()
    {
        using SharedLock l = SharedLock.Create();
        l.Acquire();
        Task waiting = l.AcquireAsync().AsTask();
        Assert.False(waiting.IsCompleted);
        await TestThreads.Start(l.Release);
        await waiting.WaitAsync(TestThreads.JoinTimeout);
        Assert.True(l.IsHeldByCurrentProcess);
        l.Release();
        l.Unlink();
    }

    [Fact]
    public async Task Many_async_waiters_each_get_the_lock_once()
    {
        using SharedLock l = SharedLock.Create();
        int inside = 0, total = 0;
        l.Acquire();
        Task[] tasks = Enumerable.Range(0, 200).Select(async _ =>
        {
            await l.AcquireAsync();
            Assert.Equal(1, Interlocked.Increment(ref inside));
            total++;
            Interlocked.Decrement(ref inside);
            l.Release();
        }).ToArray();
        l.Release();
        await Task.WhenAll(tasks).WaitAsync(TestThreads.JoinTimeout);
        Assert.Equal(200, total);
        l.Unlink();
    }

    [Fact]
    public async Task TryAcquireAsync_times_out_and_cancellation_wakes_the_waiter()
    {
        using SharedLock l = SharedLock.Create();
        l.Acquire();
        Assert.False(await l.TryAcquireAsync(TimeSpan.FromMilliseconds(30)));
        using CancellationTokenSource cts = new();
        Task waiting = l.AcquireAsync(cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TestThreads.JoinTimeout));
        l.Release();
        Assert.True(l.TryAcquire(TimeSpan.Zero));
        l.Release();
        l.Unlink();
    }

    [Fact]
    public async Task Cancelling_a_blocking_wait_throws_promptly()
    {
        using SharedLock l = SharedLock.Create();
        l.Acquire();
        using CancellationTokenSource cts = new();
        Task waiting = TestThreads.Start(() => l.TryAcquire(Timeout.InfiniteTimeSpan, cts.Token));
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TestThreads.JoinTimeout));
        l.Release();
        l.Unlink();
    }

    [Fact]
    public async Task Disposing_a_handle_while_a_thread_waits_on_it_does_not_pull_the_memory_away()
    {
        using SharedLock a = SharedLock.Create();
        SharedLock b = SharedLock.Open(a.Name);
        a.Acquire();
        Task<bool> waiting = Task.Factory.StartNew(() => b.TryAcquire(TimeSpan.FromMilliseconds(300)), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.True(SpinWait.SpinUntil(() => SleepingWaiters(a) > 0, TestThreads.JoinTimeout));
        b.Dispose();
        Assert.False(await waiting.WaitAsync(TestThreads.JoinTimeout));
        Assert.Throws<ObjectDisposedException>(() => b.TryAcquire(TimeSpan.Zero));
        a.Release();
        a.Unlink();
    }

    private static unsafe int SleepingWaiters(SharedLock l) => RobustMutex.SleepingWaiters(l.Mutex);

    [Fact]
    public void Bad_input_gives_the_documented_exceptions()
    {
        using SharedLock l = SharedLock.Create();
        Assert.Throws<WrongKindException>(() => SharedSemaphore.Open(l.Name));
        Assert.Throws<WrongKindException>(() => SharedRecursiveLock.Open(l.Name));
        Assert.Throws<WrongKindException>(() => SharedLock.Open(l.Name + SharedLock.EmbeddedSuffix));
        Assert.Throws<FileNotFoundException>(() => SharedLock.Open(SegmentNames.NewAnonymous("missing")));
        Assert.Throws<ArgumentException>(() => SharedLock.Create("a/b"));
        Assert.Throws<IOException>(() => SharedLock.Create(l.Name));
        Assert.Throws<ArgumentOutOfRangeException>(() => l.TryAcquire(TimeSpan.FromSeconds(-2)));
        l.Unlink();
        l.Dispose();
        Assert.Throws<ObjectDisposedException>(l.Acquire);
    }

    [Fact]
    public void The_lock_of_a_value_opens_by_name_and_is_the_same_lock()
    {
        using SharedValue<int> v = SharedValue<int>.Create(5);
        using SharedLock opened = SharedLock.Open(v.Lock.Name);
        v.Lock.Acquire();
        Assert.False(opened.TryAcquire(TimeSpan.Zero));
        opened.Release();
        Assert.True(v.Lock.TryAcquire(TimeSpan.Zero));
        v.Lock.Release();
        Assert.Throws<InvalidOperationException>(v.Lock.Unlink);
        v.Unlink();
    }
}
