using System.Runtime.InteropServices;
using Multiprocessing.Internal;

namespace Multiprocessing.Tests.Kernel;

/// <summary>Async futex waits through the watcher thread.</summary>
public sealed class FutexWatcherTests
{
    [Fact]
    public async Task FutexWatcher_completes_on_change_on_timeout_and_on_cancellation()
    {
        nint mem = Alloc(1);
        try
        {
            Task<bool> changed = Wait(mem, 0, Deadline.Infinite, default);
            Assert.False(changed.IsCompleted);
            Set(mem, 5);
            Assert.True(await changed.WaitAsync(TimeSpan.FromSeconds(5)));

            Assert.False(await Wait(mem, 5, Deadline.After(TimeSpan.FromMilliseconds(50)), default).WaitAsync(TimeSpan.FromSeconds(5)));

            using CancellationTokenSource cts = new();
            Task<bool> cancelled = Wait(mem, 5, Deadline.Infinite, cts.Token);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(TimeSpan.FromSeconds(5)));
        }
        finally
        {
            Free(mem);
        }
    }

    [Fact]
    public async Task FutexWatcher_serves_more_waits_than_one_futex_waitv_call_holds()
    {
        const int n = 300;
        nint words = Alloc(n);
        try
        {
            Task<bool>[] tasks = new Task<bool>[n];
            for (int i = 0; i < n; i++)
            {
                tasks[i] = Wait(words + (i * sizeof(int)), 0, Deadline.After(TimeSpan.FromSeconds(30)), default);
            }

            for (int i = 0; i < n; i++)
            {
                Set(words + (i * sizeof(int)), 1);
            }

            bool[] results = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.All(results, Assert.True);
        }
        finally
        {
            Free(words);
        }
    }

    private static unsafe nint Alloc(int words) => (nint)NativeMemory.AllocZeroed((nuint)(words * sizeof(int)));

    private static unsafe void Free(nint p) => NativeMemory.Free((void*)p);

    private static unsafe Task<bool> Wait(nint word, int expected, Deadline deadline, CancellationToken ct) =>
        FutexWatcher.WaitAsync((int*)word, expected, deadline, null, ct);

    private static unsafe void Set(nint word, int value)
    {
        Interlocked.Exchange(ref *(int*)word, value);
        _ = Multiprocessing.Interop.Futex.Wake((int*)word, int.MaxValue);
    }
}
