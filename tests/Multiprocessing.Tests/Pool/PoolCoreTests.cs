using Multiprocessing.Pool;

namespace Multiprocessing.Tests.Pool;

/// <summary>The pool's engine over worker threads: chunking, ordering, failures, recycling, close and terminate.</summary>
public sealed class PoolCoreTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [ThreadStatic]
    private static string? t_initialized;

    private static readonly ManualResetEventSlim s_never = new(false);

    private static (ProcessPool Pool, InMemoryPoolBackend Backend) NewPool(int workers = 2, int maxTasks = 0, int retries = 0, Delegate? init = null, object?[]? initArgs = null)
    {
        InMemoryPoolBackend backend = new();
        ProcessPool pool = new(
            new ProcessPoolOptions { WorkerCount = workers, MaxTasksPerChild = maxTasks, CrashRetries = retries, Initializer = init, InitializerArguments = initArgs ?? [] },
            backend);
        return (pool, backend);
    }

    private static int Square(int x) => x * x;

    private static T Wait<T>(Task<T> task) => task.WaitAsync(Timeout).GetAwaiter().GetResult();

    [Theory]
    [InlineData(200_000, 2, 25_000)]
    [InlineData(10, 2, 2)]
    [InlineData(8, 2, 1)]
    [InlineData(9, 2, 2)]
    [InlineData(1, 4, 1)]
    [InlineData(0, 2, 1)]
    public void Automatic_chunk_size_is_CPythons(int items, int workers, int expected) =>
        Assert.Equal(expected, ProcessPool.AutomaticChunkSize(items, workers));

    [Fact]
    public void Codec_round_trips_raw_and_serialized_values()
    {
        PoolBuffer b = new();
        ChunkCodec<int>.Encode([1, 2, 3], b);
        Assert.Equal(12, b.Length);
        int[] ints = new int[3];
        ChunkCodec<int>.Decode(b.WrittenMemory, ints);
        Assert.Equal([1, 2, 3], ints);

        b.Clear();
        string?[] strings = ["a", null, "", "héllo"];
        ChunkCodec<string?>.Encode(strings, b);
        string?[] back = new string?[4];
        ChunkCodec<string?>.Decode(b.WrittenMemory, back);
        Assert.Equal(strings, back);

        b.Clear();
        ChunkCodec<List<int>>.Encode([[1, 2], []], b);
        List<int>[] lists = new List<int>[2];
        ChunkCodec<List<int>>.Decode(b.WrittenMemory, lists);
        Assert.Equal([1, 2], lists[0]);

        Assert.Throws<InvalidDataException>(() => ChunkCodec<int>.Decode(b.WrittenMemory[..5], new int[2]));
    }

    [Fact]
    public void Capturing_lambda_is_refused_with_a_clear_message()
    {
        (ProcessPool pool, _) = NewPool();
        using (pool)
        {
            int factor = 3;
            ArgumentException e = Assert.Throws<ArgumentException>(() => pool.Map((int x) => x * factor, Enumerable.Range(0, 2)));
            Assert.Contains("static lambda", e.Message, StringComparison.Ordinal);
            Assert.Contains("arguments", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Map_Starmap_and_Submit_return_results_in_order()
    {
        (ProcessPool pool, _) = NewPool(3);
        using (pool)
        {
            Assert.Equal(Enumerable.Range(0, 1000).Select(x => x * x), pool.Map(Square, Enumerable.Range(0, 1000)));
            Assert.Equal(Enumerable.Range(0, 100).Select(x => $"#{x}"), pool.Map(static (int x) => $"#{x}", Enumerable.Range(0, 100), chunkSize: 7));
            Assert.Equal([3, 7], pool.Starmap(static (int a, int b) => a + b, [(1, 2), (3, 4)]));
            Assert.Equal(["a1.5"], pool.Starmap(static (string s, int i, double d) => s + (i + d), [("a", 1, 0.5)]));
            Assert.Empty(pool.Map(Square, Array.Empty<int>()));
            Assert.Equal(42, Wait(pool.Submit(static () => 42)));
            Assert.Equal(9, Wait(pool.Submit(Square, 3)));
            Assert.Equal("ab", Wait(pool.Submit(static (string a, string b) => a + b, "a", "b")));
            Assert.Equal(10, Wait(pool.Submit(static (int a, int b, int c, int d) => a + b + c + d, 1, 2, 3, 4)));
        }
    }

    [Fact]
    public async Task Imap_is_ordered_ImapUnordered_has_everything_and_progress_reaches_the_total()
    {
        (ProcessPool pool, _) = NewPool(2);
        using (pool)
        {
            Assert.Equal(Enumerable.Range(0, 200).Select(x => x * x), pool.Imap(Square, Enumerable.Range(0, 200), chunkSize: 3));
            Assert.Equal(Enumerable.Range(0, 200).Select(x => x * x).Order(), pool.ImapUnordered(Square, Enumerable.Range(0, 200)).Order());
            List<int> async = [];
            await foreach (int v in pool.ImapAsync(Square, Enumerable.Range(0, 50), 4))
            {
                async.Add(v);
            }

            Assert.Equal(Enumerable.Range(0, 50).Select(x => x * x), async);
            SynchronousProgress progress = new();
            _ = pool.Map(Square, Enumerable.Range(0, 100), chunkSize: 10, progress: progress);
            Assert.Equal(new PoolProgress(100, 100), progress.Last);
            Assert.Equal(10, progress.Count);
        }
    }

    [Fact]
    public void A_task_exception_fails_the_call_with_the_remote_type_and_message_and_the_pool_stays_usable()
    {
        (ProcessPool pool, _) = NewPool();
        using (pool)
        {
            Exception e = Assert.ThrowsAny<Exception>(() => pool.Map(static (int x) => x == 57 ? throw new FormatException("bad item 57") : x, Enumerable.Range(0, 100)));
            Assert.Contains("System.FormatException", e.Message, StringComparison.Ordinal);
            Assert.Contains("bad item 57", e.Message, StringComparison.Ordinal);
            Assert.Equal(Enumerable.Range(0, 10).Select(x => x * x), pool.Map(Square, Enumerable.Range(0, 10)));
            List<int> seen = [];
            Assert.ThrowsAny<Exception>(() =>
            {
                foreach (int v in pool.Imap(static (int x) => x == 5 ? throw new FormatException("five") : x, Enumerable.Range(0, 10)))
                {
                    seen.Add(v);
                }
            });
            Assert.Equal([0, 1, 2, 3, 4], seen); // Imap yields everything before the failed task
        }
    }

    [Fact]
    public void A_killed_worker_fails_exactly_its_tasks_and_is_replaced()
    {
        (ProcessPool pool, InMemoryPoolBackend backend) = NewPool(2);
        using (pool)
        {
            Task<int> stuck = pool.Submit(static () => Hang());
            InMemoryPoolBackend.Handle victim = WaitForBusyWorker(backend);
            victim.Kill();
            WorkerCrashedException e = Assert.Throws<WorkerCrashedException>(() => Wait(stuck));
            Assert.Equal(victim.Pid, e.WorkerPid);
            Assert.Equal(-9, e.ExitCode);
            Assert.Equal(1, e.Tasks);
            Assert.Equal(Enumerable.Range(0, 100).Select(x => x * x), pool.Map(Square, Enumerable.Range(0, 100)));
            Assert.Equal(3, backend.Handles.Count); // one replacement
            Assert.DoesNotContain(victim.Pid, pool.WorkerPids);
        }
    }

    [Fact]
    public void With_CrashRetries_a_lost_chunk_runs_again_elsewhere()
    {
        (ProcessPool pool, InMemoryPoolBackend backend) = NewPool(2, retries: 1);
        using (pool)
        {
            // The first worker to see 13 hangs; after the kill, the retry runs on a fresh worker whose flag is clear.
            Task<List<int>> map = pool.MapAsync(static (int x) => x == 13 && HangOnce() ? 0 : x * x, Enumerable.Range(0, 40), chunkSize: 5);
            WaitForBusyWorker(backend).Kill();
            Assert.Equal(Enumerable.Range(0, 40).Select(x => x * x), Wait(map));
        }
    }

    private static int s_hung;
    private static int s_hangingThread;

    private static int Hang()
    {
        Volatile.Write(ref s_hangingThread, Environment.CurrentManagedThreadId);
        _ = s_never.Wait(TimeSpan.FromSeconds(30)); // a "killed" worker thread ends when this returns
        return 1;
    }

    private static bool HangOnce()
    {
        if (Interlocked.Exchange(ref s_hung, 1) == 0)
        {
            _ = Hang();
        }

        return false;
    }

    private static InMemoryPoolBackend.Handle WaitForBusyWorker(InMemoryPoolBackend backend)
    {
        DateTime end = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < end)
        {
            int id = Volatile.Read(ref s_hangingThread);
            foreach (InMemoryPoolBackend.Handle h in backend.Handles)
            {
                if (h.Thread?.ManagedThreadId == id)
                {
                    Volatile.Write(ref s_hangingThread, 0);
                    return h;
                }
            }

            Thread.Sleep(5);
        }

        throw new TimeoutException("No worker became busy.");
    }

    [Fact]
    public void Cancellation_fails_the_call_and_drops_tasks_not_started()
    {
        (ProcessPool pool, _) = NewPool(1);
        using (pool)
        {
            using CancellationTokenSource cts = new();
            Task<List<int>> map = pool.MapAsync(static (int x) => { Thread.Sleep(20); return x; }, Enumerable.Range(0, 1000), chunkSize: 1, ct: cts.Token);
            cts.Cancel();
            Assert.ThrowsAny<OperationCanceledException>(() => Wait(map));
            Assert.Equal([4], pool.Map(Square, [2])); // still usable, not stuck behind 1000 sleeps
        }
    }

    [Fact]
    public void MaxTasksPerChild_recycles_workers()
    {
        (ProcessPool pool, InMemoryPoolBackend backend) = NewPool(2, maxTasks: 3);
        using (pool)
        {
            Assert.Equal(Enumerable.Range(0, 30).Select(x => x * x), pool.Map(Square, Enumerable.Range(0, 30), chunkSize: 1));
            Assert.True(backend.Handles.Count >= 10, $"{backend.Handles.Count} workers for 30 tasks at 3 per worker");
        }
    }

    [Fact]
    public void Initializer_state_is_visible_to_tasks_and_a_failing_initializer_breaks_the_pool()
    {
        (ProcessPool pool, _) = NewPool(2, init: static (string s, int n) => t_initialized = s + n, initArgs: ["ready", 7]);
        using (pool)
        {
            Assert.All(pool.Map(static (int _) => t_initialized, Enumerable.Range(0, 20), chunkSize: 1), v => Assert.Equal("ready7", v));
        }

        (ProcessPool broken, _) = NewPool(2, init: (Action)(static () => throw new InvalidTimeZoneException("no init")));
        using (broken)
        {
            Exception e = Assert.ThrowsAny<Exception>(() => broken.Map(Square, Enumerable.Range(0, 20)));
            Assert.Contains("initializer", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Close_finishes_the_work_and_Terminate_fails_work_in_flight()
    {
        (ProcessPool pool, _) = NewPool(2);
        using (pool)
        {
            Task<List<int>> map = pool.MapAsync(Square, Enumerable.Range(0, 100), chunkSize: 1);
            pool.Close();
            Assert.Throws<InvalidOperationException>(() => pool.Map(Square, [1]));
            Assert.True(pool.Join(Timeout));
            Assert.Equal(100, Wait(map).Count);
        }

        (ProcessPool pool2, _) = NewPool(1);
        using (pool2)
        {
            Task<int> stuck = pool2.Submit(static () => Hang());
            Task<List<int>> queued = pool2.MapAsync(Square, Enumerable.Range(0, 10));
            Assert.Throws<InvalidOperationException>(() => pool2.Join(TimeSpan.Zero));
            pool2.Terminate();
            Assert.ThrowsAny<InvalidOperationException>(() => Wait(stuck));
            _ = Assert.ThrowsAny<Exception>(() => Wait(queued));
            Assert.True(pool2.Join(Timeout));
        }
    }

    private sealed class SynchronousProgress : IProgress<PoolProgress>
    {
        internal PoolProgress Last { get; private set; }

        internal int Count { get; private set; }

        public void Report(PoolProgress value)
        {
            Last = value;
            Count++;
        }
    }
}
