using Multiprocessing.Internal;
using Multiprocessing.Interop;

namespace Multiprocessing.Processes;

/// <summary>
/// Makes a daemon worker die with its parent, even when the parent is killed with SIGKILL. A thread waits on a pidfd
/// of the parent. PR_SET_PDEATHSIG is not used: it fires when the parent *thread* that forked exits, and .NET may
/// start a worker from a thread-pool thread that later retires, which would kill a healthy worker.
/// </summary>
internal static class DaemonWatcher
{
    private static volatile bool s_disarmed;

    /// <summary>A standby worker that turned out not to be a daemon: the armed watcher lets the parent die alone.</summary>
    internal static void Disarm() => s_disarmed = true;

    internal static void Arm(int parentPid, ulong parentStartTime)
    {
        SafeFdHandle pidfd = Pidfd.Open(parentPid);

        // Checked after opening the pidfd: a parent that died before it was opened has left us re-parented (or its pid
        // reused by another process), and a pidfd opened after that would watch the wrong process.
        if (pidfd.IsInvalid || ProcessLiveness.ParentPid != parentPid || !ProcessLiveness.IsSameAndAlive(parentPid, parentStartTime))
        {
            pidfd.Dispose();
            Die();
            return;
        }

        Thread watcher = new(() =>
        {
            // poll returns false on EINTR; only a readable pidfd means the parent is gone.
            while (!Pidfd.WaitExited(pidfd, -1))
            {
            }

            if (!s_disarmed)
            {
                Die();
            }
        })
        {
            IsBackground = true,
            Name = "Multiprocessing parent watcher",
        };
        watcher.UnsafeStart();
    }

    private static void Die()
    {
        // Remove the names this worker created (SIGKILL skips the exit handlers), then go at once.
        CreatedSegments.UnlinkAll();
        _ = ProcessLiveness.Signal(ProcessLiveness.CurrentPid, Libc.SIGKILL);
    }
}
