using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Multiprocessing.Interop;

/// <summary>
/// The futex system calls. The words live in shared memory, so the private flag is never used: a private wake
/// is lost across processes. Every -1 return is treated by callers as a spurious wake-up; errno is not read on
/// the wait path because it proved unreliable after EINTR (see DESIGN.md).
/// </summary>
internal static unsafe partial class Futex
{
    internal const long SYS_futex = 202;
    internal const long SYS_futex_waitv = 449;
    internal const int FUTEX_WAIT = 0;
    internal const int FUTEX_WAKE = 1;
    internal const uint FUTEX_32 = 2;
    internal const int FUTEX_WAITV_MAX = 128;
    internal const int CLOCK_MONOTONIC = 1;

    /// <summary><c>struct timespec</c>: 16 bytes on x86_64.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Timespec
    {
        internal long Seconds;
        internal long Nanoseconds;
    }

    /// <summary><c>struct futex_waitv</c>: 24 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct FutexWaitv
    {
        internal ulong Val;
        internal ulong Uaddr;
        internal uint Flags;
        internal uint Reserved;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall6(long number, nint a1, nint a2, nint a3, nint a4, nint a5, nint a6);

    /// <summary>Sleeps while <c>*address == expected</c>, for at most <paramref name="timeoutNs"/> (negative: no limit).</summary>
    /// <returns>0 when woken (or the word already differed), -1 on timeout, signal or any other early return.</returns>
    /// <remarks>
    /// Never inlined (nor <see cref="Wake"/>): a P/Invoke inlined into a caller makes the JIT set up a P/Invoke frame in the
    /// caller's prologue on every call (a thread-local lookup and a runtime helper), even when the call is on a branch that
    /// is rarely taken, such as a wake when nobody sleeps; that cost ~10 ns per message on a pipe's receive path.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static int Wait(int* address, int expected, long timeoutNs)
    {
        if (timeoutNs < 0)
        {
            return (int)Syscall6(SYS_futex, (nint)address, FUTEX_WAIT, expected, 0, 0, 0);
        }

        Timespec ts = new() { Seconds = timeoutNs / 1_000_000_000, Nanoseconds = timeoutNs % 1_000_000_000 };
        return (int)Syscall6(SYS_futex, (nint)address, FUTEX_WAIT, expected, (nint)(&ts), 0, 0);
    }

    /// <summary>Wakes up to <paramref name="count"/> processes sleeping on <paramref name="address"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static int Wake(int* address, int count) =>
        (int)Syscall6(SYS_futex, (nint)address, FUTEX_WAKE, count, 0, 0, 0);

    /// <summary>
    /// Sleeps until any of the words differs from its expected value or is woken, or the absolute
    /// CLOCK_MONOTONIC deadline passes (null: no limit). Returns the index of the woken word, or -1.
    /// </summary>
    internal static int WaitV(FutexWaitv* waiters, int count, Timespec* absoluteDeadline) =>
        (int)Syscall6(SYS_futex_waitv, (nint)waiters, count, 0, (nint)absoluteDeadline, CLOCK_MONOTONIC, 0);

    /// <summary>Reads the error number of the last failed call; only used where it is reliable (not after EINTR).</summary>
    internal static int LastError => Marshal.GetLastPInvokeError();
}
