using System.Runtime.InteropServices;

namespace Multiprocessing.Interop;

/// <summary><c>pidfd_open</c>: a file descriptor that turns readable when the process exits, immune to pid reuse.</summary>
internal static partial class Pidfd
{
    internal const long SYS_pidfd_open = 434;
    internal const long SYS_pidfd_send_signal = 424;

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall2(long number, nint a1, nint a2);

    /// <summary>Opens a pidfd for <paramref name="pid"/>; the handle is invalid if the process is gone.</summary>
    internal static SafeFdHandle Open(int pid)
    {
        long fd = Syscall2(SYS_pidfd_open, pid, 0);
        return new SafeFdHandle(fd < 0 ? -1 : (int)fd);
    }

    /// <summary>Sends <paramref name="signal"/> to the process behind the pidfd (never to a process that reused its pid).</summary>
    /// <returns>False if the process has already exited.</returns>
    internal static bool SendSignal(SafeFdHandle pidfd, int signal)
    {
        bool added = false;
        pidfd.DangerousAddRef(ref added);
        try
        {
            return Syscall4(SYS_pidfd_send_signal, pidfd.DangerousGetHandle(), signal, 0, 0) == 0;
        }
        finally
        {
            if (added)
            {
                pidfd.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall4(long number, nint a1, nint a2, nint a3, nint a4);

    /// <summary>Waits up to <paramref name="timeoutMs"/> (-1: forever) for the process behind the pidfd to exit.</summary>
    internal static unsafe bool WaitExited(SafeFdHandle pidfd, int timeoutMs)
    {
        if (pidfd.IsInvalid)
        {
            // pidfd_open failed because the process was already gone (poll would ignore a negative fd and block).
            return true;
        }

        bool added = false;
        pidfd.DangerousAddRef(ref added);
        try
        {
            Libc.PollFd p = new() { Fd = (int)pidfd.DangerousGetHandle(), Events = Libc.POLLIN };
            return Libc.Poll(&p, 1, timeoutMs) > 0;
        }
        finally
        {
            if (added)
            {
                pidfd.DangerousRelease();
            }
        }
    }
}
