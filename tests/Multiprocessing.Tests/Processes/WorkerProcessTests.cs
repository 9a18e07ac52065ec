using System.Text;

namespace Multiprocessing.Tests.Processes;

public sealed class WorkerProcessTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void A_static_lambda_with_arguments_writes_into_a_block_the_parent_reads()
    {
        using SharedMemoryBlock block = SharedMemoryBlock.Create(64);
        using WorkerProcess p = WorkerProcess.Start(static (SharedMemoryBlock b, string text, int n) =>
        {
            byte[] bytes = Encoding.UTF8.GetBytes(text + n);
            bytes.CopyTo(b.Span);
        }, block, "hello ", 42);
        Assert.True(p.Join(Timeout), "the worker did not exit within 60 s");
        Assert.Equal(0, p.ExitCode);
        Assert.Null(p.Failure);
        Assert.Equal("hello 42", Encoding.UTF8.GetString(block.Span[..8]));
        block.Unlink();
    }

    [Fact]
    public void An_exception_in_the_worker_reaches_the_parent_with_type_message_and_stack()
    {
        using WorkerProcess p = WorkerProcess.Start(static () => ThrowingTarget("boom from the worker"));
        Assert.True(p.Join(Timeout), "the worker did not exit within 60 s");
        Assert.Equal(1, p.ExitCode);
        WorkerException e = Assert.IsType<WorkerException>(p.Failure);
        Assert.Equal("System.InvalidOperationException", e.RemoteTypeName);
        Assert.Equal("boom from the worker", e.RemoteMessage);
        Assert.Contains(nameof(ThrowingTarget), e.RemoteStackTrace, StringComparison.Ordinal);
    }

    [Fact]
    public void Kill_gives_exit_code_minus_9()
    {
        using SharedMemoryBlock ready = SharedMemoryBlock.Create(8);
        using WorkerProcess p = WorkerProcess.Start(static b => SignalThenSleep(b), ready);
        WaitForFlag(ready, p);
        Assert.True(p.IsAlive);
        p.Kill();
        Assert.True(p.Join(Timeout), "the killed worker did not exit within 60 s");
        Assert.False(p.IsAlive);
        Assert.Equal(-9, p.ExitCode);
        ready.Unlink();
    }

    [Fact]
    public void Pid_is_the_worker_s_and_join_with_a_short_timeout_returns_false_while_it_runs()
    {
        using SharedMemoryBlock ready = SharedMemoryBlock.Create(8);
        using WorkerProcess p = WorkerProcess.Start(static b => SignalThenSleep(b), ready);
        WaitForFlag(ready, p);
        Assert.True(p.Pid > 0);
        Assert.NotEqual(Environment.ProcessId, p.Pid);
        Assert.Equal(p.Pid, BitConverter.ToInt32(ready.Span[4..8]));
        Assert.False(p.Join(TimeSpan.FromMilliseconds(50)));
        Assert.Null(p.ExitCode);
        p.Kill();
        Assert.True(p.Join(Timeout));
        ready.Unlink();
    }

    private static void ThrowingTarget(string message) => throw new InvalidOperationException(message);

    /// <summary>Writes its pid and a flag into the block, then sleeps until killed.</summary>
    internal static void SignalThenSleep(SharedMemoryBlock block)
    {
        BitConverter.TryWriteBytes(block.Span[4..8], Environment.ProcessId);
        Volatile.Write(ref block.Span[0], 1);
        Thread.Sleep(System.Threading.Timeout.Infinite);
    }

    /// <summary>Waits (bounded) for a worker to set byte 0 of the block; fails if the worker exits first.</summary>
    internal static void WaitForFlag(SharedMemoryBlock block, WorkerProcess p)
    {
        DateTime until = DateTime.UtcNow + Timeout;
        SpinWait spin = default;
        while (Volatile.Read(ref block.Span[0]) == 0)
        {
            Assert.True(DateTime.UtcNow < until, "the worker did not signal within 60 s");
            Assert.False(p.Join(TimeSpan.Zero), $"the worker exited early with {p.ExitCode}: {p.Failure}");
            spin.SpinOnce();
        }
    }
}
