using Multiprocessing.Internal;
using Multiprocessing.Interop;

namespace Multiprocessing.Tests.Processes;

public sealed class WorkerLifetimeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void Kill_9_of_a_parent_takes_its_daemon_worker_with_it_within_a_second()
    {
        // The test starts a middle worker; the middle worker starts a daemon grandchild, publishes its pid and sleeps.
        using SharedMemoryBlock info = SharedMemoryBlock.Create(16);
        using WorkerProcess middle = WorkerProcess.Start(static b => StartDaemonThenSleep(b), info);
        WorkerProcessTests.WaitForFlag(info, middle);
        int daemonPid = BitConverter.ToInt32(info.Span[8..12]);
        using SafeFdHandle daemon = Pidfd.Open(daemonPid);
        try
        {
            Assert.False(daemon.IsInvalid, "the daemon worker was gone before its parent was killed");
            Assert.False(Pidfd.WaitExited(daemon, 0), "the daemon worker exited before its parent was killed");
            middle.Kill();
            Assert.True(middle.Join(Timeout), "the killed parent did not exit within 60 s");
            Assert.Equal(-9, middle.ExitCode);
            Assert.True(Pidfd.WaitExited(daemon, 1000), "the daemon worker outlived its killed parent by more than a second");
        }
        finally
        {
            if (!daemon.IsInvalid)
            {
                _ = Pidfd.SendSignal(daemon, Libc.SIGKILL);
            }

            // The killed parent could not unlink the daemon's status block; nothing maps it any more.
            _ = SegmentSweeper.Sweep();
            info.Unlink();
        }
    }

    [Fact]
    public void A_parent_that_exits_normally_terminates_its_daemon_workers()
    {
        using SharedMemoryBlock info = SharedMemoryBlock.Create(16);
        using WorkerProcess middle = WorkerProcess.Start(static b => StartDaemonAndReturn(b), info);
        Assert.True(middle.Join(Timeout), "the parent worker did not exit within 60 s");
        Assert.Equal(0, middle.ExitCode);
        using SafeFdHandle daemon = Pidfd.Open(BitConverter.ToInt32(info.Span[8..12]));
        try
        {
            Assert.True(Pidfd.WaitExited(daemon, 10_000), "the daemon worker outlived its parent's normal exit");
        }
        finally
        {
            _ = Pidfd.SendSignal(daemon, Libc.SIGKILL);
            info.Unlink();
        }
    }

    [Fact]
    public void A_non_daemon_worker_outlives_a_parent_killed_with_kill_9()
    {
        using SharedMemoryBlock info = SharedMemoryBlock.Create(16);
        using WorkerProcess middle = WorkerProcess.Start(static b => StartChildThenSleep(b, false), info);
        WorkerProcessTests.WaitForFlag(info, middle);
        using SafeFdHandle child = Pidfd.Open(BitConverter.ToInt32(info.Span[8..12]));
        try
        {
            middle.Kill();
            Assert.True(middle.Join(Timeout));
            Assert.False(Pidfd.WaitExited(child, 200), "a non-daemon worker died with its parent");
        }
        finally
        {
            _ = Pidfd.SendSignal(child, Libc.SIGKILL);
            Assert.True(Pidfd.WaitExited(child, 10_000), "the orphaned worker did not die after SIGKILL");
            _ = SegmentSweeper.Sweep();
            info.Unlink();
        }
    }

    [Fact]
    public void A_segment_creator_killed_with_kill_9_leaves_nothing_in_dev_shm_after_the_sweep()
    {
        string name = SegmentNames.NewAnonymous("victim");
        using SharedMemoryBlock ready = SharedMemoryBlock.Create(8);
        using WorkerProcess creator = WorkerProcess.Start(static (SharedMemoryBlock b, string n) => CreateThenSleep(b, n), ready, name);
        WorkerProcessTests.WaitForFlag(ready, creator);
        Assert.True(File.Exists("/dev/shm/mp." + name));
        creator.Kill();
        Assert.True(creator.Join(Timeout));
        Assert.Equal(-9, creator.ExitCode);
        Assert.True(File.Exists("/dev/shm/mp." + name), "SIGKILL cannot run exit handlers, so the name is still there before the sweep");
        _ = SegmentSweeper.Sweep();
        Assert.False(File.Exists("/dev/shm/mp." + name));
        ready.Unlink();
    }

    [Fact]
    public void Dispose_kills_a_running_worker_and_removes_its_status_block()
    {
        using SharedMemoryBlock ready = SharedMemoryBlock.Create(8);
        WorkerProcess p = WorkerProcess.Start(static b => WorkerProcessTests.SignalThenSleep(b), ready);
        WorkerProcessTests.WaitForFlag(ready, p);
        int pid = p.Pid;
        string status = "/dev/shm/mp." + p.StatusName;
        Assert.True(File.Exists(status));
        p.Dispose();
        Assert.False(ProcessLiveness.IsAlive(pid));
        Assert.Equal(-9, p.ExitCode);
        Assert.False(File.Exists(status));
        ready.Unlink();
    }

    private static void StartDaemonThenSleep(SharedMemoryBlock block) => StartChildThenSleep(block, daemon: true);

    private static void StartDaemonAndReturn(SharedMemoryBlock block)
    {
        WorkerProcess child = new((Action)SleepForever) { Daemon = true };
        child.Start();
        BitConverter.TryWriteBytes(block.Span[8..12], child.Pid);
    }

    private static void StartChildThenSleep(SharedMemoryBlock block, bool daemon)
    {
        WorkerProcess child = new((Action)SleepForever) { Daemon = daemon };
        child.Start();
        BitConverter.TryWriteBytes(block.Span[8..12], child.Pid);
        WorkerProcessTests.SignalThenSleep(block);
    }

    private static void SleepForever() => Thread.Sleep(System.Threading.Timeout.Infinite);

    private static void CreateThenSleep(SharedMemoryBlock ready, string name)
    {
        SharedMemoryBlock victim = SharedMemoryBlock.Create(name, 4096);
        victim.Span[0] = 1;
        WorkerProcessTests.SignalThenSleep(ready);
    }
}
