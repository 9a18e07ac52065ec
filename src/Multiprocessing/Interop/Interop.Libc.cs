using System.Runtime.InteropServices;

namespace Multiprocessing.Interop;

/// <summary>P/Invoke declarations for libc. This folder is the only place in the library that calls the OS.</summary>
internal static partial class Libc
{
    private const string Lib = "libc";

    // <fcntl.h>, <sys/mman.h>, <signal.h>, <sys/prctl.h>, <poll.h>: values checked against the C headers by LayoutTests.
    internal const int O_RDONLY = 0x0;
    internal const int O_RDWR = 0x2;
    internal const int O_CREAT = 0x40;
    internal const int O_EXCL = 0x80;
    internal const int O_CLOEXEC = 0x80000;

    internal const int PROT_READ = 0x1;
    internal const int PROT_WRITE = 0x2;
    internal const int MAP_SHARED = 0x01;
    internal const int MAP_POPULATE = 0x8000;
    internal static readonly IntPtr MAP_FAILED = new(-1);

    internal const int SIGKILL = 9;
    internal const int SIGTERM = 15;
    internal const int PR_SET_PDEATHSIG = 1;
    internal const short POLLIN = 0x1;

    internal const int EINTR = 4;
    internal const int ESRCH = 3;
    internal const int ENOENT = 2;
    internal const int EEXIST = 17;
    internal const int EACCES = 13;
    internal const int EPERM = 1;
    internal const int EAGAIN = 11;
    internal const int ETIMEDOUT = 110;
    internal const int ENOSPC = 28;
    internal const int EINVAL = 22;
    internal const int ENOSYS = 38;

    [LibraryImport(Lib, EntryPoint = "shm_open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ShmOpen(string name, int oflag, uint mode);

    [LibraryImport(Lib, EntryPoint = "shm_unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ShmUnlink(string name);

    [LibraryImport(Lib, EntryPoint = "ftruncate", SetLastError = true)]
    internal static partial int FTruncate(SafeFdHandle fd, long length);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    internal static unsafe partial nint Read(SafeFdHandle fd, byte* buffer, nint count);

    [LibraryImport(Lib, EntryPoint = "mmap", SetLastError = true)]
    internal static partial IntPtr MMap(IntPtr addr, nuint length, int prot, int flags, SafeFdHandle fd, long offset);

    [LibraryImport(Lib, EntryPoint = "munmap", SetLastError = true)]
    internal static partial int MUnmap(IntPtr addr, nuint length);

    [LibraryImport(Lib, EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);

    /// <summary><c>_exit</c>: ends the process at once, without the runtime's shutdown or atexit handlers.</summary>
    [LibraryImport(Lib, EntryPoint = "_exit")]
    internal static partial void UnderscoreExit(int status);

    [LibraryImport(Lib, EntryPoint = "getpid")]
    internal static partial int GetPid();

    [LibraryImport(Lib, EntryPoint = "getppid")]
    internal static partial int GetPPid();

    [LibraryImport(Lib, EntryPoint = "gettid")]
    internal static partial int GetTid();

    [LibraryImport(Lib, EntryPoint = "prctl", SetLastError = true)]
    internal static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport(Lib, EntryPoint = "poll", SetLastError = true)]
    internal static unsafe partial int Poll(PollFd* fds, nuint nfds, int timeoutMs);

    /// <summary><c>struct pollfd</c>: 8 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        internal int Fd;
        internal short Events;
        internal short REvents;
    }
}
