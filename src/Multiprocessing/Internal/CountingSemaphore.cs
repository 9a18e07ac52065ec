using System.Runtime.InteropServices;

namespace Multiprocessing.Internal;

/// <summary>
/// A counting semaphore in shared memory: <see cref="Count"/> is the number of free permits. Owner-less, like
/// POSIX and CPython semaphores: a process that dies holding a permit does not give it back.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
internal unsafe struct CountingSemaphore
{
    [FieldOffset(0)] internal int Count;
    [FieldOffset(4)] internal int Waiters;

    internal static bool TryTake(CountingSemaphore* s)
    {
        int c = Volatile.Read(ref s->Count);
        while (c > 0)
        {
            int seen = Interlocked.CompareExchange(ref s->Count, c - 1, c);
            if (seen == c)
            {
                return true;
            }

            c = seen;
        }

        return false;
    }

    /// <summary>Takes one permit before the deadline; false on timeout.</summary>
    internal static bool Take(CountingSemaphore* s, Deadline deadline, CancellationToken ct)
    {
        while (!TryTake(s))
        {
            if (!FutexWait.WaitWhileEqual(&s->Count, 0, &s->Waiters, deadline, ct))
            {
                return TryTake(s);
            }
        }

        return true;
    }

    /// <summary>
    /// Adds <paramref name="n"/> permits unless that would take the count above <paramref name="maximum"/>, and wakes as
    /// many sleepers. Returns the count before, or -1 (and changes nothing) when the bound would be passed.
    /// </summary>
    internal static int TryRelease(CountingSemaphore* s, int n, int maximum)
    {
        int c = Volatile.Read(ref s->Count);
        while (true)
        {
            if (c > maximum - n)
            {
                return -1;
            }

            int seen = Interlocked.CompareExchange(ref s->Count, c + n, c);
            if (seen == c)
            {
                FutexWait.Wake(&s->Count, &s->Waiters, n);
                return c;
            }

            c = seen;
        }
    }

    /// <summary>Adds <paramref name="n"/> permits and wakes as many sleepers; returns the count before.</summary>
    internal static int Release(CountingSemaphore* s, int n)
    {
        int before = Interlocked.Add(ref s->Count, n) - n;
        FutexWait.Wake(&s->Count, &s->Waiters, n);
        return before;
    }
}
