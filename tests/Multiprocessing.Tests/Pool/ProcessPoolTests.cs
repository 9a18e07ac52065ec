using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Multiprocessing.Tests.Pool;

/// <summary>ProcessPool across real worker processes: results, failures, kill -9, cancellation, recycling, shutdown.</summary>
public sealed class ProcessPoolTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static string? s_workerState;

    private static int Square(int x) => x * x;

    private static T Wait<T>(Task<T> task) => task.WaitAsync(Timeout).GetAwaiter().GetResult();

    /// <summary>A token that cancels a synchronous pool call after the test timeout, so a hang fails the test instead.</summary>
    private static CancellationToken Soon() => new CancellationTokenSource(Timeout).Token;

    /// <summary>In a worker: records this process's pid in the block named <paramref name="blockName"/> (slot <paramref name="slot"/>) and sleeps, unless the slot is already taken.</summary>
    private static int HangOnceAndReport(string blockName, int slot, int value)
    {
        using SharedMemoryBlock block = SharedMemoryBlock.Open(blockName);
        ref int cell = ref MemoryMarshal.Cast<byte, int>(block.Span)[slot];
        if (Interlocked.CompareExchange(ref cell, Environment.ProcessId, 0) == 0)
        {
            Thread.Sleep(TimeSpan.FromMinutes(2)); // until killed
        }

        return value * value;
    }

    private static int WaitForPid(SharedMemoryBlock block, int slot)
    {
        Stopwatch clock = Stopwatch.StartNew();
        while (clock.Elapsed < Timeout)
        {
            int pid = Volatile.Read(ref MemoryMarshal.Cast<byte, int>(block.Span)[slot]);
            if (pid != 0)
            {
                return pid;
            }

            Thread.Sleep(2);
        }

        throw new TimeoutException("No pool worker reported that it started the task within 60 s.");
    }

    [Fact]
    public async Task Map_Imap_Starmap_and_Submit_run_in_worker_processes()
    {
        await using ProcessPool pool = new(2);
        Assert.Equal(Enumerable.Range(0, 10_000).Select(Square), pool.Map(Square, Enumerable.Range(0, 10_000), ct: Soon()));
        Assert.Equal(Enumerable.Range(0, 300).Select(x => $"<{x}>"), pool.Imap(static (int x) => $"<{x}>", Enumerable.Range(0, 300), chunkSize: 7, ct: Soon()));
        Assert.Equal(Enumerable.Range(0, 300).Select(Square).Order(), pool.ImapUnordered(Square, Enumerable.Range(0, 300), ct: Soon()).Order());
        List<int> streamed = [];
        await foreach (int v in pool.ImapAsync(Square, Enumerable.Range(0, 100), ct: Soon()))
        {
            streamed.Add(v);
        }

        Assert.Equal(Enumerable.Range(0, 100).Select(Square), streamed);
        Assert.Equal([3.5, 9], pool.Starmap(static (double a, int b) => a + b, [(1.5, 2), (4.0, 5)], ct: Soon()));
        Assert.Equal("pid", await pool.Submit(static (string s) => s, "pid").WaitAsync(Timeout));
        int pid = await pool.Submit(static () => Environment.ProcessId).WaitAsync(Timeout);
        Assert.NotEqual(Environment.ProcessId, pid);
        Assert.Contains(pid, pool.WorkerPids);
        List<int> pids = pool.Map(static (int _) => Environment.ProcessId, Enumerable.Range(0, 64), chunkSize: 1, ct: Soon());
        Assert.All(pids, p => Assert.Contains(p, pool.WorkerPids));
    }

    [Fact]
    public void A_task_exception_arrives_as_WorkerException_with_remote_type_message_and_stack()
    {
        using ProcessPool pool = new(2);
        WorkerException e = Assert.Throws<WorkerException>(() => pool.Map(static (int x) => Fail(x), Enumerable.Range(0, 100), ct: Soon()));
        Assert.Equal("System.FormatException", e.RemoteTypeName);
        Assert.Equal("item 42 is bad", e.RemoteMessage);
        Assert.Contains(nameof(Fail), e.RemoteStackTrace, StringComparison.Ordinal);
        Assert.Contains(e.WorkerPid, pool.WorkerPids);
        WorkerException s = Assert.Throws<WorkerException>(() => Wait(pool.Submit(static () => Fail(42))));
        Assert.Equal("System.FormatException", s.RemoteTypeName);
        Assert.Equal([1, 4], pool.Map(Square, [1, 2], ct: Soon())); // the pool is still usable
    }

    private static int Fail(int x) => x == 42 ? throw new FormatException($"item {x} is bad") : x;

    [Fact]
    public void Kill_9_of_a_worker_mid_Map_fails_only_its_tasks_and_the_pool_carries_on()
    {
        using SharedMemoryBlock flags = SharedMemoryBlock.Create(64);
        using ProcessPool pool = new(2);
        string name = flags.Name;
        Task<List<int>> map = pool.StarmapAsync(static (string b, int x) => x == 13 ? HangOnceAndReport(b, 0, x) : x * x,
            Enumerable.Range(0, 40).Select(x => (name, x)), chunkSize: 5);
        Task<int> other = pool.Submit(static (int x) => x + 1, 1);
        int victim = WaitForPid(flags, 0);
        Assert.Contains(victim, pool.WorkerPids);
        Process.GetProcessById(victim).Kill();

        WorkerCrashedException e = Assert.Throws<WorkerCrashedException>(() => Wait(map));
        Assert.Equal(victim, e.WorkerPid);
        Assert.Equal(-9, e.ExitCode);
        Assert.Contains(victim.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
        Assert.Equal(2, Wait(other));

        // A replacement starts and the pool keeps working.
        Assert.Equal(Enumerable.Range(0, 1000).Select(Square), pool.Map(Square, Enumerable.Range(0, 1000), ct: Soon()));
        Assert.DoesNotContain(victim, pool.WorkerPids);
        Assert.Equal(2, pool.WorkerPids.Count);
        flags.Unlink();
    }

    [Fact]
    public void With_CrashRetries_the_chunk_of_a_killed_worker_runs_again_and_the_Map_completes()
    {
        using SharedMemoryBlock flags = SharedMemoryBlock.Create(64);
        using ProcessPool pool = new(new ProcessPoolOptions { WorkerCount = 2, CrashRetries = 1 });
        string name = flags.Name;
        Task<List<int>> map = pool.StarmapAsync(static (string b, int x) => x == 13 ? HangOnceAndReport(b, 0, x) : x * x,
            Enumerable.Range(0, 40).Select(x => (name, x)), chunkSize: 5);
        Process.GetProcessById(WaitForPid(flags, 0)).Kill();
        Assert.Equal(Enumerable.Range(0, 40).Select(Square), Wait(map));
        flags.Unlink();
    }

    [Fact]
    public void Cancellation_stops_a_Map_promptly_and_the_pool_stays_usable()
    {
        using ProcessPool pool = new(2);
        using CancellationTokenSource cts = new();
        CancelOnFirst progress = new(cts);
        Task<List<int>> map = pool.MapAsync(static (int x) => { Thread.Sleep(50); return x; }, Enumerable.Range(0, 2000), chunkSize: 1, progress: progress, ct: cts.Token);
        Assert.ThrowsAny<OperationCanceledException>(() => Wait(map));
        // The 2000 × 50 ms of queued work was dropped: a new call is served at once, not after 50 s.
        Stopwatch clock = Stopwatch.StartNew();
        Assert.Equal([4], pool.Map(Square, [2], ct: Soon()));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the pool was still busy with cancelled work ({clock.Elapsed})");
    }

    [Fact]
    public void MaxTasksPerChild_recycles_workers_so_pids_change()
    {
        using ProcessPool pool = new(new ProcessPoolOptions { WorkerCount = 2, MaxTasksPerChild = 2 });
        List<int> pids = pool.Map(static (int _) => Environment.ProcessId, Enumerable.Range(0, 12), chunkSize: 1, ct: Soon());
        Assert.True(pids.Distinct().Count() >= 6, $"12 tasks at 2 per worker ran in only {pids.Distinct().Count()} processes");
        Assert.All(pids.GroupBy(p => p), g => Assert.True(g.Count() <= 2));
    }

    [Fact]
    public void Workers_and_recycled_workers_can_come_from_a_standby()
    {
        using WorkerStandby standby = new(2);
        using ProcessPool pool = new(new ProcessPoolOptions { WorkerCount = 2, MaxTasksPerChild = 3, Standby = standby });
        List<int> pids = pool.Map(static (int _) => Environment.ProcessId, Enumerable.Range(0, 12), chunkSize: 1, ct: Soon());
        Assert.True(pids.Distinct().Count() >= 4, $"12 tasks at 3 per worker ran in only {pids.Distinct().Count()} processes");
        Assert.Equal(Enumerable.Range(0, 100).Select(Square), pool.Map(Square, Enumerable.Range(0, 100), ct: Soon()));
    }

    [Fact]
    public void Initializer_state_is_visible_to_the_tasks_of_each_worker()
    {
        using ProcessPool pool = new(new ProcessPoolOptions
        {
            WorkerCount = 2,
            Initializer = static (string prefix, int n) => s_workerState = $"{prefix}{n}@{Environment.ProcessId}",
            InitializerArguments = ["init-", 7],
        });
        List<string?> states = pool.Map(static (int _) => s_workerState, Enumerable.Range(0, 50), chunkSize: 1, ct: Soon());
        Assert.All(states, s => Assert.StartsWith("init-7@", s, StringComparison.Ordinal));
        Assert.Null(s_workerState); // set in the workers, not here
        Assert.All(states, s => Assert.Contains(int.Parse(s!.Split('@')[1], System.Globalization.CultureInfo.InvariantCulture), pool.WorkerPids));
    }

    [Fact]
    public void A_failing_initializer_fails_the_call_instead_of_restarting_workers_forever()
    {
        using ProcessPool pool = new(new ProcessPoolOptions { WorkerCount = 2, Initializer = (Action)(static () => throw new InvalidProgramException("no config")) });
        InvalidOperationException e = Assert.ThrowsAny<InvalidOperationException>(() => pool.Map(Square, Enumerable.Range(0, 10), ct: Soon()));
        Assert.Contains("initializer", e.Message, StringComparison.Ordinal);
        Assert.Contains("no config", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Workers_that_die_at_start_again_and_again_break_the_pool_instead_of_restarting_forever()
    {
        using ProcessPool pool = new(new ProcessPoolOptions { WorkerCount = 2, Initializer = (Action)(static () => Environment.Exit(3)) });
        Stopwatch clock = Stopwatch.StartNew();
        while (true)
        {
            InvalidOperationException e = Assert.ThrowsAny<InvalidOperationException>(() => Wait(pool.MapAsync(Square, Enumerable.Range(0, 10))));
            if (e.Message.Contains("keep dying", StringComparison.Ordinal))
            {
                Assert.Contains("exit code 3", e.Message, StringComparison.Ordinal);
                return;
            }

            Assert.IsType<WorkerCrashedException>(e);
            Assert.Equal(3, ((WorkerCrashedException)e).ExitCode);
            Assert.True(clock.Elapsed < Timeout, "the pool kept restarting workers that die at start");
        }
    }

    [Fact]
    public void Terminate_with_work_in_flight_fails_it_and_Join_returns()
    {
        using SharedMemoryBlock flags = SharedMemoryBlock.Create(64);
        using ProcessPool pool = new(2);
        string name = flags.Name;
        Task<int>[] sleeping = [.. Enumerable.Range(0, 2).Select(i => pool.Submit(static (string b, int slot) => HangOnceAndReport(b, slot, 0), name, i))];
        Task<List<int>> queued = pool.MapAsync(Square, Enumerable.Range(0, 100));
        int[] pids = [WaitForPid(flags, 0), WaitForPid(flags, 1)];
        pool.Terminate();
        foreach (Task<int> t in sleeping)
        {
            Assert.ThrowsAny<InvalidOperationException>(() => Wait(t));
        }

        Assert.ThrowsAny<InvalidOperationException>(() => Wait(queued));
        Assert.True(pool.Join(Timeout), "the pool's workers did not exit within 60 s of Terminate");
        Assert.All(pids, p => Assert.False(IsRunning(p), $"worker {p} still runs after Terminate + Join"));
        Assert.Throws<InvalidOperationException>(() => pool.Map(Square, [1], ct: Soon()));
        flags.Unlink();
    }

    [Fact]
    public void Close_then_Join_finishes_the_work_and_the_workers_exit()
    {
        ProcessPool pool = new(2);
        Task<List<int>> map = pool.MapAsync(Square, Enumerable.Range(0, 5000), chunkSize: 10);
        int first = Wait(pool.Submit(static () => Environment.ProcessId));
        pool.Close();
        Assert.Throws<InvalidOperationException>(() => { _ = pool.Submit(static () => 1); });
        Assert.True(pool.Join(Timeout), "the pool's workers did not exit within 60 s of Close");
        Assert.Equal(5000, Wait(map).Count);
        Assert.False(IsRunning(first));
        pool.Dispose();
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using Process p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private sealed class CancelOnFirst(CancellationTokenSource cts) : IProgress<PoolProgress>
    {
        public void Report(PoolProgress value) => cts.Cancel();
    }
}
