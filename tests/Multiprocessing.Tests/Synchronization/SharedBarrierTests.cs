namespace Multiprocessing.Tests.Synchronization;

public sealed class SharedBarrierTests
{
    [Fact]
    public void Three_threads_pass_many_rounds_together()
    {
        using SharedBarrier b = SharedBarrier.Create(3);
        int[] counts = new int[3];
        int[] indexSums = new int[50];
        TestThreads.RunAll(3, t =>
        {
            for (int round = 0; round < 50; round++)
            {
                counts[t] = round + 1;
                int index = b.SignalAndWait(TestThreads.JoinTimeout);
                Interlocked.Add(ref indexSums[round], index);
                // Everyone reached this round before anyone passed it.
                Assert.All(counts, c => Assert.True(c >= round + 1));
                b.SignalAndWait(TestThreads.JoinTimeout);
            }
        });
        Assert.All(indexSums, s => Assert.Equal(0 + 1 + 2, s));
        b.Unlink();
    }

    [Fact]
    public async Task A_timeout_breaks_the_barrier_for_everyone_until_Reset()
    {
        using SharedBarrier b = SharedBarrier.Create(3);
        Task<Exception?> other = StartParty(b);
        BrokenBarrierException mine = Assert.Throws<BrokenBarrierException>(() => b.SignalAndWait(TimeSpan.FromMilliseconds(50)));
        Assert.Contains("timed out", mine.Message, StringComparison.Ordinal);
        Assert.IsType<BrokenBarrierException>(await other.WaitAsync(TestThreads.JoinTimeout));
        Assert.True(b.IsBroken);
        Assert.Throws<BrokenBarrierException>(() => b.SignalAndWait(TimeSpan.Zero));
        b.Reset();
        Assert.False(b.IsBroken);
        using SharedBarrier one = SharedBarrier.Create(1);
        Assert.Equal(0, one.SignalAndWait());
        one.Unlink();
        b.Unlink();
    }

    [Fact]
    public async Task Abort_and_Reset_release_waiters_with_BrokenBarrierException()
    {
        using SharedBarrier b = SharedBarrier.Create(2);
        Task<Exception?> waiter = StartParty(b);
        SpinWait.SpinUntil(() => b.ParticipantsWaiting == 1, TestThreads.JoinTimeout);
        b.Reset();
        Assert.IsType<BrokenBarrierException>(await waiter.WaitAsync(TestThreads.JoinTimeout));
        Assert.False(b.IsBroken);

        waiter = StartParty(b);
        SpinWait.SpinUntil(() => b.ParticipantsWaiting == 1, TestThreads.JoinTimeout);
        b.Abort();
        Assert.IsType<BrokenBarrierException>(await waiter.WaitAsync(TestThreads.JoinTimeout));
        Assert.True(b.IsBroken);
        b.Unlink();
    }

    [Fact]
    public void Bad_input_gives_the_documented_exceptions()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SharedBarrier.Create(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SharedBarrier.Create(-2));
        Assert.Throws<ArgumentOutOfRangeException>(() => SharedBarrier.Create(SharedBarrier.MaxParties + 1));
        using SharedBarrier b = SharedBarrier.Create(2);
        Assert.Throws<WrongKindException>(() => SharedCondition.Open(b.Name));
        b.Unlink();
    }

    private static Task<Exception?> StartParty(SharedBarrier b) => Task.Factory.StartNew<Exception?>(
        () => Record.Exception(() => b.SignalAndWait(TestThreads.JoinTimeout)),
        CancellationToken.None,
        TaskCreationOptions.LongRunning,
        TaskScheduler.Default);
}
