namespace Multiprocessing.Tests.Synchronization;

/// <summary>Runs actions on threads and joins them with a timeout, so a deadlock fails fast.</summary>
internal static class TestThreads
{
    internal static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(30);

    internal static void RunAll(int count, Action<int> body)
    {
        Exception? failure = null;
        Thread[] threads = new Thread[count];
        for (int i = 0; i < count; i++)
        {
            int index = i;
            threads[i] = new Thread(() =>
            {
                try
                {
                    body(index);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref failure, e, null);
                }
            }) { IsBackground = true };
            threads[i].Start();
        }

        foreach (Thread t in threads)
        {
            Assert.True(t.Join(JoinTimeout), "a test thread did not finish in 30 s (deadlock?)");
        }

        if (failure is not null)
        {
            throw new InvalidOperationException("a test thread failed", failure);
        }
    }

    /// <summary>Starts <paramref name="body"/> on a background thread; join the result with <see cref="JoinTimeout"/>.</summary>
    internal static Task Start(Action body) => Task.Factory.StartNew(body, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>The pid of a process that has exited and been reaped, for simulating a dead lock owner.</summary>
    internal static int DeadPid()
    {
        using System.Diagnostics.Process p = System.Diagnostics.Process.Start("/bin/true");
        Assert.True(p.WaitForExit(10_000));
        return p.Id;
    }
}
