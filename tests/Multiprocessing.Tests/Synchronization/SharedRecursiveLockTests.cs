namespace Multiprocessing.Tests.Synchronization;

public sealed class SharedRecursiveLockTests
{
    [Fact]
    public void The_owner_thread_reenters_and_must_release_as_often()
    {
        using SharedRecursiveLock l = SharedRecursiveLock.Create();
        l.Acquire();
        l.Acquire();
        Assert.Equal(2, l.RecursionCount);
        bool otherGotIt = true;
        TestThreads.RunAll(1, _ => otherGotIt = l.TryAcquire(TimeSpan.FromMilliseconds(10)));
        Assert.False(otherGotIt);
        l.Release();
        Assert.True(l.IsHeldByCurrentThread);
        l.Release();
        Assert.False(l.IsHeldByCurrentThread);
        Assert.Equal(0, l.OwnerProcessId);
        l.Unlink();
    }

    [Fact]
    public void Another_thread_cannot_release_it()
    {
        using SharedRecursiveLock l = SharedRecursiveLock.Create();
        l.Acquire();
        Exception? e = null;
        TestThreads.RunAll(1, _ => e = Record.Exception(l.Release));
        Assert.IsType<SynchronizationLockException>(e);
        l.Release();
        Assert.Throws<SynchronizationLockException>(l.Release);
        l.Unlink();
    }

    [Fact]
    public void Threads_incrementing_under_nested_scopes_lose_nothing()
    {
        using SharedRecursiveLock l = SharedRecursiveLock.Create();
        int counter = 0;
        TestThreads.RunAll(3, _ =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                using (l.EnterScope())
                using (l.EnterScope())
                {
                    counter++;
                }
            }
        });
        Assert.Equal(30_000, counter);
        l.Unlink();
    }
}
