using System.Diagnostics;
using System.Runtime.InteropServices;
using Multiprocessing.Internal;

namespace Multiprocessing.Tests.Kernel;

/// <summary>The futex kernel in one process: waits, wakes, timeouts, cancellation, dead-owner takeover.</summary>
public sealed unsafe class KernelTests : IDisposable
{
    private readonly int* _mem = (int*)NativeMemory.AllocZeroed(64);

    public void Dispose() => NativeMemory.Free(_mem);

    [Fact]
    public void WaitWhileEqual_returns_when_another_thread_changes_the_word()
    {
        int* word = _mem;
        int* waiters = _mem + 1;
        Thread t = new(() =>
        {
            Thread.Sleep(50);
            Interlocked.Exchange(ref *word, 1);
            FutexWait.Wake(word, waiters, 1);
        });
        t.Start();
        Deadline deadline = Deadline.After(TimeSpan.FromSeconds(10));
        bool changed;
        do
        {
            changed = FutexWait.WaitWhileEqual(word, 0, waiters, deadline, default); // may return spuriously: loop like callers
        }
        while (changed && Volatile.Read(ref *word) == 0);

        t.Join();
        Assert.True(changed);
        Assert.Equal(1, *word);
        Assert.Equal(0, *waiters);
    }

    [Fact]
    public void WaitWhileEqual_times_out_and_leaves_no_waiter_counted()
    {
        // Spurious returns are allowed (EINTR from other tests' SIGCHLD), so wait the way callers do: in a loop.
        Stopwatch sw = Stopwatch.StartNew();
        Deadline deadline = Deadline.After(TimeSpan.FromMilliseconds(100));
        int spurious = 0;
        while (FutexWait.WaitWhileEqual(_mem, 0, _mem + 1, deadline, default))
        {
            Assert.Equal(0, _mem[0]);
            Assert.True(++spurious < 1000, "the wait keeps returning before its deadline");
        }

        Assert.True(sw.ElapsedMilliseconds >= 95, $"returned after {sw.ElapsedMilliseconds} ms");
        Assert.Equal(0, _mem[1]);
    }

    [Fact]
    public void A_cancelled_token_wakes_a_sleeping_waiter()
    {
        using CancellationTokenSource cts = new();
        int* mem = _mem;
        Task<bool> waiting = Task.Run(() => FutexWait.WaitWhileEqual(mem, 0, mem + 1, Deadline.Infinite, cts.Token), cts.Token);
        while (Volatile.Read(ref mem[1]) == 0 && !waiting.IsCompleted)
        {
            Thread.Yield();
        }

        cts.Cancel();
        Assert.True(((IAsyncResult)waiting).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(5)), "the waiter did not wake up after cancellation");
        Assert.Throws<AggregateException>(() => waiting.Wait());
        Assert.True(waiting.IsCanceled);
    }

    [Fact]
    public void RobustMutex_excludes_threads_and_a_dead_owner_is_reported_as_abandoned()
    {
        RobustMutex* m = (RobustMutex*)_mem;
        int pid = Environment.ProcessId;
        Assert.Equal(EnterResult.Acquired, RobustMutex.Enter(m, pid, Deadline.Infinite, default));
        Assert.False(RobustMutex.TryEnterFast(m, pid));
        RobustMutex.Exit(m);

        // A pid that certainly exited: a finished child that .NET has reaped.
        using Process p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        Assert.True(p.WaitForExit(5000));
        m->Word = p.Id;
        Stopwatch sw = Stopwatch.StartNew();
        Assert.Equal(EnterResult.Abandoned, RobustMutex.Enter(m, pid, Deadline.After(TimeSpan.FromSeconds(5)), default));
        Assert.True(sw.ElapsedMilliseconds < 1000, $"took {sw.ElapsedMilliseconds} ms to take over");
        RobustMutex.Exit(m);
    }

    [Fact]
    public void RobustMutex_release_whose_wake_finds_nobody_leaves_no_wake_pending_flag()
    {
        // A waiter counted in Waiters but not yet inside futex_wait: the release's wake finds nobody. If the flag
        // stayed set, the next releases would skip their wake, and that waiter, once asleep on a re-taken lock,
        // would sleep out its whole liveness slice (seen as 100 ms stalls of a queue consumer).
        RobustMutex* m = (RobustMutex*)_mem;
        int pid = Environment.ProcessId;
        Assert.True(RobustMutex.TryEnterFast(m, pid));
        m->Waiters = 1;
        RobustMutex.Exit(m);
        Assert.Equal(0, m->Word);
        Assert.Equal(1, m->Waiters); // the count is the waiter's to take back; no flag left behind

        // And a release with a real sleeper wakes it (the flag is then the woken waiter's to clear).
        m->Waiters = 0;
        Assert.True(RobustMutex.TryEnterFast(m, pid));
        EnterResult result = EnterResult.TimedOut;
        Thread waiter = new(() => result = RobustMutex.Enter(m, pid + 1, Deadline.After(TimeSpan.FromSeconds(30)), default));
        waiter.Start();
        while ((Volatile.Read(ref m->Waiters) & RobustMutex.CountMask) == 0 && waiter.IsAlive)
        {
            Thread.Yield();
        }

        RobustMutex.Exit(m);
        Assert.True(waiter.Join(TimeSpan.FromSeconds(30)), "the sleeping waiter was not woken");
        Assert.Equal(EnterResult.Acquired, result);
        Assert.Equal(pid + 1, m->Word);
        Assert.Equal(0, m->Waiters & RobustMutex.WakePending);
        m->Word = 0;
    }

    [Fact]
    public void RobustMutex_times_out_when_a_live_owner_holds_it()
    {
        RobustMutex* m = (RobustMutex*)_mem;
        m->Word = Environment.ProcessId; // held by a live process (this one, standing in for another)
        Assert.Equal(EnterResult.TimedOut, RobustMutex.Enter(m, 1, Deadline.After(TimeSpan.FromMilliseconds(150)), default));
    }

    [Fact]
    public void CountingSemaphore_hands_out_exactly_its_permits()
    {
        CountingSemaphore* s = (CountingSemaphore*)_mem;
        CountingSemaphore.Release(s, 2);
        Assert.True(CountingSemaphore.Take(s, Deadline.Infinite, default));
        Assert.True(CountingSemaphore.Take(s, Deadline.Infinite, default));
        Assert.False(CountingSemaphore.Take(s, Deadline.After(TimeSpan.FromMilliseconds(30)), default));
    }
}
