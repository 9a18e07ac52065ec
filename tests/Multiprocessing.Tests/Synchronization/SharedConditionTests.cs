namespace Multiprocessing.Tests.Synchronization;

public sealed class SharedConditionTests
{
    [Fact]
    public async Task A_consumer_waits_for_a_producer()
    {
        using SharedCondition c = SharedCondition.Create();
        using SharedValue<int> items = SharedValue<int>.Create(0);
        int consumed = 0;
        Task consumer = TestThreads.Start(() =>
        {
            for (int i = 0; i < 1_000; i++)
            {
                using (c.Lock.EnterScope())
                {
                    Assert.True(c.WaitFor(() => items.Value > 0, TestThreads.JoinTimeout));
                    items.Value--;
                    consumed++;
                }
            }
        });
        for (int i = 0; i < 1_000; i++)
        {
            using (c.Lock.EnterScope())
            {
                items.Value++;
                c.Notify();
            }
        }

        await consumer.WaitAsync(TestThreads.JoinTimeout);
        Assert.Equal(1_000, consumed);
        c.Unlink();
        items.Unlink();
    }

    [Fact]
    public async Task Notify_n_wakes_at_most_n_and_NotifyAll_the_rest()
    {
        using SharedLock l = SharedLock.Create();
        using SharedCondition c = SharedCondition.Create(l);
        using SharedValue<int> waiting = SharedValue<int>.Create(0);
        int woken = 0;
        Task[] waiters = [.. Enumerable.Range(0, 4).Select(_ => TestThreads.Start(() =>
        {
            using (l.EnterScope())
            {
                waiting.Value++;
                Assert.True(c.Wait(TestThreads.JoinTimeout));
                Interlocked.Increment(ref woken);
            }
        }))];

        WaitUntil(() => { using (l.EnterScope()) { return waiting.Value == 4; } });
        using (l.EnterScope())
        {
            c.Notify(2);
        }

        // The two others stay asleep: Notify(2) handed out exactly two permits.
        WaitUntil(() => Volatile.Read(ref woken) == 2);
        using (l.EnterScope())
        {
            Assert.Equal(2, Volatile.Read(ref woken));
        }

        using (l.EnterScope())
        {
            c.NotifyAll();
        }

        await Task.WhenAll(waiters).WaitAsync(TestThreads.JoinTimeout);
        Assert.Equal(4, woken);
        c.Unlink();
        l.Unlink();
        waiting.Unlink();
    }

    [Fact]
    public void A_timed_out_wait_holds_the_lock_again_and_is_not_counted()
    {
        using SharedCondition c = SharedCondition.Create();
        c.Lock.Acquire();
        Assert.False(c.Wait(TimeSpan.FromMilliseconds(20)));
        Assert.True(c.Lock.IsHeldByCurrentProcess);
        c.Notify();
        Assert.False(c.Wait(TimeSpan.Zero));
        c.Lock.Release();
        c.Unlink();
    }

    [Fact]
    public void Waiting_or_notifying_without_the_lock_is_an_error_and_the_condition_reopens_with_its_lock()
    {
        using SharedCondition c = SharedCondition.Create();
        Assert.Throws<SynchronizationLockException>(() => c.Wait(TimeSpan.Zero));
        Assert.Throws<SynchronizationLockException>(() => c.Notify());
        Assert.Throws<ArgumentOutOfRangeException>(() => c.Notify(-1));
        using SharedCondition opened = SharedCondition.Open(c.Name);
        Assert.Equal(c.Lock.Name, opened.Lock.Name);
        c.Lock.Acquire();
        Assert.True(opened.Lock.IsHeldByCurrentProcess);
        opened.Notify();
        c.Lock.Release();
        Assert.Throws<WrongKindException>(() => SharedEvent.Open(c.Name));
        c.Unlink();
    }

    private static void WaitUntil(Func<bool> condition)
    {
        DateTime end = DateTime.UtcNow + TestThreads.JoinTimeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < end, "condition not reached in 30 s");
            Thread.Sleep(1);
        }
    }
}
