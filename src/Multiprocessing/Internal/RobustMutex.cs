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

    [FieldOffset(0)] internal int Word;
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

            if (!FutexWait.Sleep(&m->Word, owner, &m->Waiters, deadline, ct, LivenessSliceNs))
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

    /// <summary>Releases the mutex; the caller has checked that it owns it.</summary>
    internal static void Exit(RobustMutex* m)
    {
        m->OwnerThread = 0;
        Interlocked.Exchange(ref m->Word, 0);
        FutexWait.Wake(&m->Word, &m->Waiters, 1);
    }

    internal static bool IsHeldBy(RobustMutex* m, int pid) => Volatile.Read(ref m->Word) == pid;
}
