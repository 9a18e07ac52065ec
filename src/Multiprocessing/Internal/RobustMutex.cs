using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Multiprocessing.Interop;

namespace Multiprocessing.Internal;

/// <summary>The outcome of entering a <see cref="RobustMutex"/>.</summary>
internal enum EnterResult
{
    TimedOut = 0,
    Acquired = 1,

    /// <summary>Acquired, but the previous owner died holding it: the data it protects may be half-changed.</summary>
    Abandoned = 2,
}

/// <summary>
/// A mutex in shared memory that notices a dead owner. <see cref="Word"/> is 0 when free, else the owner's pid:
/// one CAS publishes ownership, so a process killed at any instruction leaves either a free lock or its own pid,
/// which a waiter can check with <c>kill(pid, 0)</c> and take over with a CAS from that pid. Not recursive;
/// recursion and thread ownership are kept by the callers in <see cref="OwnerThread"/> and <see cref="Recursion"/>.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal unsafe struct RobustMutex
{
    /// <summary>How often a sleeping waiter wakes up to check that the owner is still alive.</summary>
    internal const long LivenessSliceNs = 100_000_000;

    /// <summary>In <see cref="Waiters"/>: a waiter has been woken and has not looked at the word again yet.</summary>
    internal const int WakePending = 0x4000_0000;

    /// <summary>In <see cref="Waiters"/>: the number of sleepers (blocking, and async through the FutexWatcher).</summary>
    internal const int CountMask = WakePending - 1;

    [FieldOffset(0)] internal int Word;

    /// <summary>Sleepers counted in the low bits (<see cref="CountMask"/>), plus the <see cref="WakePending"/> flag.</summary>
    [FieldOffset(4)] internal int Waiters;

    /// <summary>The owner's managed thread id (only meaningful in the owner's process).</summary>
    [FieldOffset(8)] internal int OwnerThread;
    [FieldOffset(12)] internal int Recursion;

    internal static bool TryEnterFast(RobustMutex* m, int pid) => Interlocked.CompareExchange(ref m->Word, pid, 0) == 0;

    /// <summary>Acquires the mutex for process <paramref name="pid"/> before <paramref name="deadline"/>.</summary>
    internal static EnterResult Enter(RobustMutex* m, int pid, Deadline deadline, CancellationToken ct)
    {
        if (TryEnterFast(m, pid))
        {
            return EnterResult.Acquired;
        }

        AdaptiveSpinner spinner = default;
        long lastLivenessCheck = 0;
        while (true)
        {
            int owner = Volatile.Read(ref m->Word);
            if (owner == 0)
            {
                if (Interlocked.CompareExchange(ref m->Word, pid, 0) == 0)
                {
                    return EnterResult.Acquired;
                }

                continue;
            }

            if (spinner.SpinOnce())
            {
                continue;
            }

            // Check the owner at most once per slice: kill(pid, 0) plus a /proc read is cheap but not free.
            long now = Environment.TickCount64;
            if (now - lastLivenessCheck >= LivenessSliceNs / 1_000_000)
            {
                lastLivenessCheck = now;
                if (owner != pid && !ProcessLiveness.IsAlive(owner))
                {
                    if (Interlocked.CompareExchange(ref m->Word, pid, owner) == owner)
                    {
                        m->Recursion = 0;
                        return EnterResult.Abandoned;
                    }

                    continue;
                }
            }

            bool inTime = FutexWait.Sleep(&m->Word, owner, &m->Waiters, deadline, ct, LivenessSliceNs);

            // Whether woken or not, look at the word again only after clearing the flag (full fence): a release that
            // still saw the flag skipped its wake, and then this read sees the lock free.
            ClearWakePending(m);
            if (!inTime)
            {
                return TryEnterFast(m, pid) ? EnterResult.Acquired : EnterResult.TimedOut;
            }
        }
    }

    /// <summary>
    /// One non-blocking step for callers that wait elsewhere (async waits): takes the mutex if it is free, or takes it
    /// over if its owner is dead. Otherwise returns <see cref="EnterResult.TimedOut"/> with the owner seen in
    /// <paramref name="owner"/>, the value to wait on.
    /// </summary>
    internal static EnterResult TryEnterOrTakeOver(RobustMutex* m, int pid, out int owner)
    {
        while (true)
        {
            owner = Interlocked.CompareExchange(ref m->Word, pid, 0);
            if (owner == 0)
            {
                return EnterResult.Acquired;
            }

            if (owner == pid || ProcessLiveness.IsAlive(owner))
            {
                return EnterResult.TimedOut;
            }

            if (Interlocked.CompareExchange(ref m->Word, pid, owner) == owner)
            {
                m->Recursion = 0;
                return EnterResult.Abandoned;
            }
        }
    }

    /// <summary>
    /// Releases the mutex; the caller has checked that it owns it. Wakes one sleeper, unless one woken earlier has
    /// not run yet: under contention the owner would otherwise pay a wake syscall on every release during the ~20 µs
    /// the woken process takes to be scheduled.
    /// </summary>
    internal static void Exit(RobustMutex* m)
    {
        m->OwnerThread = 0;
        Interlocked.Exchange(ref m->Word, 0);

        // The exchange is a full fence, so this read cannot move before it (pairs with the sleeper's increment and
        // the woken waiter's ClearWakePending, each followed by a read of the word).
        int w = Volatile.Read(ref m->Waiters);
        int attempts = 0;
        while ((w & CountMask) != 0 && (w & WakePending) == 0)
        {
            int seen = Interlocked.CompareExchange(ref m->Waiters, w | WakePending, w);
            if (seen != w)
            {
                w = seen;
                continue;
            }

            if (Futex.Wake(&m->Word, 1) > 0)
            {
                return;
            }

            // Nobody was asleep in the kernel: the counted waiter is between its increment and its futex_wait. Left
            // set, the flag would make the next releases skip their wake, while that waiter may still go to sleep
            // (if the lock is taken again meanwhile, the word is back to an owner's pid and futex_wait sleeps):
            // measured, a consumer then slept the whole liveness slice. So withdraw the flag, always; and if the lock
            // is still free, try again (a few times), since the waiter may have entered the kernel in between.
            Interlocked.And(ref m->Waiters, ~WakePending);
            if (++attempts == 3 || Volatile.Read(ref m->Word) != 0)
            {
                return;
            }

            w = Volatile.Read(ref m->Waiters);
        }
    }

    /// <summary>
    /// Called by a waiter when it wakes (woken, timed out or not), before it reads the word again. A woken waiter that
    /// is killed before calling it leaves the flag set; the other sleepers clear it when their liveness slice ends.
    /// </summary>
    internal static void ClearWakePending(RobustMutex* m)
    {
        if ((Volatile.Read(ref m->Waiters) & WakePending) != 0)
        {
            Interlocked.And(ref m->Waiters, ~WakePending);
        }
        else
        {
            Interlocked.MemoryBarrier();
        }
    }

    /// <summary>
    /// For a waiter that gives up (cancelled) and may have been the one a release woke: clears the flag and, if the
    /// mutex is free and others sleep, wakes one of them in its place.
    /// </summary>
    internal static void PassOnWake(RobustMutex* m)
    {
        ClearWakePending(m);
        if (Volatile.Read(ref m->Word) == 0 && (Volatile.Read(ref m->Waiters) & CountMask) != 0)
        {
            _ = Futex.Wake(&m->Word, 1);
        }
    }

    /// <summary>The number of sleeping waiters (a snapshot).</summary>
    internal static int SleepingWaiters(RobustMutex* m) => Volatile.Read(ref m->Waiters) & CountMask;

    internal static bool IsHeldBy(RobustMutex* m, int pid) => Volatile.Read(ref m->Word) == pid;
}
