using System.Text;

namespace Multiprocessing.Tests.Processes;

public sealed class WorkerStandbyTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void A_standby_process_runs_the_target_with_its_arguments_and_is_replaced()
    {
        using WorkerStandby standby = new();
        Assert.True(standby.WaitUntilReady(Timeout), "the standby worker was not ready within 60 s");
        using SharedMemoryBlock block = SharedMemoryBlock.Create(64);
        for (int i = 0; i < 2; i++)
        {
            using WorkerProcess p = new((Action<SharedMemoryBlock, int>)WriteNumber, block, 40 + i) { Name = "warm-" + i };
            p.Start(standby);
            Assert.True(p.Join(Timeout), "the worker did not exit within 60 s");
            Assert.Equal(0, p.ExitCode);
            Assert.Equal($"warm-{i} {40 + i}", Encoding.UTF8.GetString(block.Span).TrimEnd('\0'));
            block.Span.Clear();
            Assert.True(standby.WaitUntilReady(Timeout), "no replacement standby within 60 s");
        }

        block.Unlink();
    }

    [Fact]
    public void A_failure_in_a_standby_worker_reaches_the_parent()
    {
        using WorkerStandby standby = new();
        Assert.True(standby.WaitUntilReady(Timeout));
        using WorkerProcess p = new((Action<string>)Fail, "standby boom");
        p.Start(standby);
        Assert.True(p.Join(Timeout));
        Assert.Equal(1, p.ExitCode);
        Assert.Equal("standby boom", p.Failure?.RemoteMessage);
    }

    [Fact]
    public void A_standby_process_dies_with_a_parent_killed_with_kill_9_and_Dispose_kills_the_rest()
    {
        using SharedMemoryBlock info = SharedMemoryBlock.Create(16);
        using WorkerProcess middle = WorkerProcess.Start(static b => KeepStandbyThenSleep(b), info);
        WorkerProcessTests.WaitForFlag(info, middle);
        using Multiprocessing.Interop.SafeFdHandle standbyFd = Multiprocessing.Interop.Pidfd.Open(BitConverter.ToInt32(info.Span[8..12]));
        try
        {
            middle.Kill();
            Assert.True(middle.Join(Timeout));
            Assert.True(Multiprocessing.Interop.Pidfd.WaitExited(standbyFd, 10_000), "the standby process outlived its killed parent");
        }
        finally
        {
            _ = Multiprocessing.Interop.Pidfd.SendSignal(standbyFd, Multiprocessing.Interop.Libc.SIGKILL);
            _ = Multiprocessing.Internal.SegmentSweeper.Sweep();
            info.Unlink();
        }

        WorkerStandby local = new();
        Assert.True(local.WaitUntilReady(Timeout));
        int pid = local.Pids.Single();
        local.Dispose();
        Assert.False(Multiprocessing.Interop.ProcessLiveness.IsAlive(pid), "Dispose left a standby process running");
    }

    private static void KeepStandbyThenSleep(SharedMemoryBlock block)
    {
        WorkerStandby standby = new();
        _ = standby.WaitUntilReady(TimeSpan.FromSeconds(60));
        BitConverter.TryWriteBytes(block.Span[8..12], standby.Pids.Single());
        WorkerProcessTests.SignalThenSleep(block);
    }

    private static void WriteNumber(SharedMemoryBlock block, int n) =>
        Encoding.UTF8.GetBytes($"{WorkerProcess.Current.Name} {n}").CopyTo(block.Span);

    private static void Fail(string message) => throw new ArgumentException(message);
}
