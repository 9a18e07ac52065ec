namespace Multiprocessing.Tests.Synchronization;

public sealed class SharedSemaphoreTests
{
    [Fact]
    public void Permits_are_counted()
    {
        using SharedSemaphore s = SharedSemaphore.Create(2);
        Assert.True(s.TryAcquire(TimeSpan.Zero));
        Assert.True(s.TryAcquire(TimeSpan.Zero));
        Assert.False(s.TryAcquire(TimeSpan.FromMilliseconds(10)));
        Assert.Equal(0, s.Release(3));
        Assert.Equal(3, s.CurrentCount);
        s.Unlink();
    }

    [Fact]
    public void At_most_n_threads_are_inside()
    {
        using SharedSemaphore s = SharedSemaphore.Create(3);
        int inside = 0, most = 0;
        TestThreads.RunAll(6, _ =>
        {
            for (int i = 0; i < 2_000; i++)
            {
                s.Acquire();
                int now = Interlocked.Increment(ref inside);
                InterlockedMax(ref most, now);
                Interlocked.Decrement(ref inside);
                s.Release();
            }
        });
        Assert.InRange(most, 1, 3);
        Assert.Equal(3, s.CurrentCount);
        s.Unlink();
    }

    [Fact]
    public async Task An_async_waiter_is_woken_by_a_release()
    {
        using SharedSemaphore s = SharedSemaphore.Create(0);
        Task<bool>[] waits = [.. Enumerable.Range(0, 50).Select(_ => s.TryAcquireAsync(TestThreads.JoinTimeout).AsTask())];
        Assert.DoesNotContain(waits, w => w.IsCompleted);
        await TestThreads.Start(() => s.Release(50));
        bool[] got = await Task.WhenAll(waits).WaitAsync(TestThreads.JoinTimeout);
        Assert.All(got, Assert.True);
        Assert.Equal(0, s.CurrentCount);
        Assert.False(await s.TryAcquireAsync(TimeSpan.FromMilliseconds(20)));
        s.Unlink();
    }

    [Fact]
    public void A_bounded_semaphore_refuses_a_release_past_its_maximum()
    {
        using SharedBoundedSemaphore s = SharedBoundedSemaphore.Create(1, 2);
        Assert.Equal(1, s.Release());
        SemaphoreFullException e = Assert.Throws<SemaphoreFullException>(() => s.Release());
        Assert.Contains(s.Name, e.Message, StringComparison.Ordinal);
        Assert.Equal(2, s.CurrentCount);
        s.Acquire();
        Assert.Throws<SemaphoreFullException>(() => s.Release(2));
        Assert.Equal(1, s.CurrentCount);
        Assert.Equal(2, s.MaximumCount);
        s.Unlink();
    }

    [Fact]
    public void Bad_input_gives_the_documented_exceptions()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SharedSemaphore.Create(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SharedBoundedSemaphore.Create(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SharedBoundedSemaphore.Create(3, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => SharedBoundedSemaphore.Create(-1, 2));
        using SharedSemaphore s = SharedSemaphore.Create(0);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Release(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Release(-3));
        Assert.Throws<WrongKindException>(() => SharedBoundedSemaphore.Open(s.Name));
        Assert.Throws<WrongKindException>(() => SharedLock.Open(s.Name));
        s.Unlink();
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen = Volatile.Read(ref target);
        while (value > seen)
        {
            int prev = Interlocked.CompareExchange(ref target, value, seen);
            if (prev == seen)
            {
                return;
            }

            seen = prev;
        }
    }
}
