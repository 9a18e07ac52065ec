using System.Runtime.InteropServices;

namespace Multiprocessing.Internal;

/// <summary>
/// A manual-reset event in shared memory. <see cref="Word"/> holds the flag in bit 0 and the number of times it was
/// set in the other bits, so a waiter that saw the flag clear returns true once any <see cref="Set"/> happened after
/// that, even if the flag was cleared again before the waiter ran (a Set is never missed). One atomic operation per
/// change: a process killed at any instruction leaves the event either set or not.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
internal struct EventWord
{
    [FieldOffset(0)] internal int Word;
    [FieldOffset(4)] internal int Waiters;

    internal static unsafe bool IsSet(EventWord* e) => (Volatile.Read(ref e->Word) & 1) != 0;

    /// <summary>Sets the flag and wakes every waiter; returns false if it was already set.</summary>
    internal static unsafe bool Set(EventWord* e)
    {
        int w = Volatile.Read(ref e->Word);
        while ((w & 1) == 0)
        {
            // Count the Set (bits 1..31, wrapping) and raise the flag in one CAS.
            int seen = Interlocked.CompareExchange(ref e->Word, (w + 2) | 1, w);
            if (seen == w)
            {
                FutexWait.Wake(&e->Word, &e->Waiters, int.MaxValue);
                return true;
            }

            w = seen;
        }

        return false;
    }

    /// <summary>Clears the flag; returns false if it was already clear.</summary>
    internal static unsafe bool Clear(EventWord* e) => (Interlocked.And(ref e->Word, ~1) & 1) != 0;

    /// <summary>True when the flag is set now, or was set after <paramref name="observed"/> was read.</summary>
    internal static unsafe bool SignalledSince(EventWord* e, int observed)
    {
        int w = Volatile.Read(ref e->Word);
        return (w & 1) != 0 || (w >> 1) != (observed >> 1);
    }

    /// <summary>Waits until the event is set (true) or the deadline passes (false).</summary>
    internal static unsafe bool Wait(EventWord* e, Deadline deadline, CancellationToken ct)
    {
        int observed = Volatile.Read(ref e->Word);
        if ((observed & 1) != 0)
        {
            return true;
        }

        // Clear never changes a clear word, so the word changes only when a Set happens.
        while (!SignalledSince(e, observed))
        {
            if (!FutexWait.WaitWhileEqual(&e->Word, observed, &e->Waiters, deadline, ct))
            {
                return SignalledSince(e, observed);
            }
        }

        return true;
    }

    /// <summary>The async twin of <see cref="Wait"/>, through the <see cref="FutexWatcher"/>; <paramref name="e"/> is an <c>EventWord*</c>.</summary>
    internal static async Task<bool> WaitAsync(nint e, Deadline deadline, SafeHandle keepAlive, CancellationToken ct)
    {
        int observed = ReadWord(e);
        if ((observed & 1) != 0)
        {
            return true;
        }

        while (!SignalledSince(e, observed))
        {
            if (!await Watch(e, observed, deadline, keepAlive, ct).ConfigureAwait(false))
            {
                return SignalledSince(e, observed);
            }
        }

        return true;
    }

    private static unsafe int ReadWord(nint e) => Volatile.Read(ref ((EventWord*)e)->Word);

    private static unsafe bool SignalledSince(nint e, int observed) => SignalledSince((EventWord*)e, observed);

    private static unsafe Task<bool> Watch(nint e, int observed, Deadline deadline, SafeHandle keepAlive, CancellationToken ct) =>
        FutexWatcher.WaitAsync(&((EventWord*)e)->Word, observed, deadline, keepAlive, ct, &((EventWord*)e)->Waiters);
}
