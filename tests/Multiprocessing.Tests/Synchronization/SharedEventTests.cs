using Multiprocessing.Internal;

namespace Multiprocessing.Tests.Synchronization;

public sealed class SharedEventTests
{
    [Fact]
    public void Set_Clear_IsSet_and_timed_wait()
    {
        string name = SegmentNames.NewAnonymous("test-event");
        using SharedEvent e = SharedEvent.Create(name, initialState: false);
        using SharedEvent opened = SharedEvent.Open(name);
        Assert.False(opened.IsSet);
        Assert.False(opened.Wait(TimeSpan.FromMilliseconds(10)));
        e.Set();
        Assert.True(opened.IsSet);
        Assert.True(opened.Wait(TimeSpan.Zero));
        opened.Wait();
        e.Clear();
        Assert.False(opened.Wait(TimeSpan.Zero));
        using SharedEvent initiallySet = SharedEvent.Create(true);
        Assert.True(initiallySet.IsSet);
        initiallySet.Unlink();
        e.Unlink();
    }

    [Fact]
    public async Task Set_wakes_blocked_and_async_waiters()
    {
        using SharedEvent e = SharedEvent.Create();
        Task<bool>[] asyncWaits = [.. Enumerable.Range(0, 20).Select(_ => e.WaitAsync(TestThreads.JoinTimeout).AsTask())];
        Task<bool> blocked = Task.Factory.StartNew(() => e.Wait(TestThreads.JoinTimeout), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        e.Set();
        Assert.All(await Task.WhenAll(asyncWaits).WaitAsync(TestThreads.JoinTimeout), Assert.True);
        Assert.True(await blocked.WaitAsync(TestThreads.JoinTimeout));
        e.Unlink();
    }

    [Fact]
    public async Task A_waiter_does_not_miss_a_set_that_is_cleared_at_once()
    {
        using SharedEvent e = SharedEvent.Create();
        Task<bool> waiting = e.WaitAsync(TestThreads.JoinTimeout).AsTask();
        e.Set();
        e.Clear();
        Assert.True(await waiting.WaitAsync(TestThreads.JoinTimeout));
        e.Unlink();
    }

    [Fact]
    public async Task Waits_time_out_and_cancel()
    {
        using SharedEvent e = SharedEvent.Create();
        Assert.False(await e.WaitAsync(TimeSpan.FromMilliseconds(20)));
        using CancellationTokenSource cts = new();
        Task asyncWait = e.WaitAsync(cts.Token).AsTask();
        Task blockedWait = TestThreads.Start(() => e.Wait(Timeout.InfiniteTimeSpan, cts.Token));
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => asyncWait.WaitAsync(TestThreads.JoinTimeout));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blockedWait.WaitAsync(TestThreads.JoinTimeout));
        Assert.Throws<WrongKindException>(() => SharedBarrier.Open(e.Name));
        e.Unlink();
    }
}
