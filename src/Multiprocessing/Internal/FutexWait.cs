using Multiprocessing.Interop;

namespace Multiprocessing.Internal;

/// <summary>
/// Blocking waits on a 32-bit word in shared memory: spin adaptively, then sleep on the futex. Every sleeper
/// counts itself in a waiter word next to the futex word, so that wakers skip the ~0.25 µs syscall when nobody sleeps.
/// </summary>
internal static unsafe class FutexWait
{
    /// <summary>With a cancellable token, no single sleep is longer than this, so a cancellation that raced the sleep is still seen promptly.</summary>
    private const long CancellableSliceNs = 50_000_000;

    /// <summary>
    /// Returns once <c>*word != expected</c> (true) or the deadline passes (false); throws if <paramref name="ct"/> is
    /// cancelled. Spurious returns are possible: callers re-check their own condition in a loop.
    /// </summary>
    internal static bool WaitWhileEqual(int* word, int expected, int* waiters, Deadline deadline, CancellationToken ct, long sliceNs = -1)
    {
        AdaptiveSpinner spinner = default;
        while (Volatile.Read(ref *word) == expected)
        {
            if (!spinner.SpinOnce())
            {
                return Sleep(word, expected, waiters, deadline, ct, sliceNs);
            }
        }

        return true;
    }

    /// <summary>One futex sleep, at most <paramref name="sliceNs"/> long (-1: up to the deadline). False only when the deadline has passed.</summary>
    internal static bool Sleep(int* word, int expected, int* waiters, Deadline deadline, CancellationToken ct, long sliceNs = -1)
    {
        ct.ThrowIfCancellationRequested();
        long ns = deadline.RemainingNanoseconds;
        if (ns == 0)
        {
            return false;
        }

        if (ct.CanBeCanceled && (sliceNs < 0 || sliceNs > CancellableSliceNs))
        {
            sliceNs = CancellableSliceNs;
        }

        if (sliceNs >= 0 && (ns < 0 || ns > sliceNs))
        {
            ns = sliceNs;
        }

        CancellationTokenRegistration registration = ct.CanBeCanceled
            ? ct.UnsafeRegister(static state => Futex.Wake((int*)(nint)state!, int.MaxValue), (nint)word)
            : default;
        Interlocked.Increment(ref *waiters);
        try
        {
            if (!ct.IsCancellationRequested)
            {
                // The kernel re-checks *word == expected atomically before sleeping, so a wake between our read and
                // this call is not lost. The result is ignored on purpose: -1 may be EINTR, EAGAIN or ETIMEDOUT, and the
                // caller re-checks its condition and the deadline either way.
                _ = Futex.Wait(word, expected, ns);
            }
        }
        finally
        {
            Interlocked.Decrement(ref *waiters);
            registration.Dispose();
        }

        ct.ThrowIfCancellationRequested();
        return !deadline.HasPassed || Volatile.Read(ref *word) != expected;
    }

    /// <summary>Wakes up to <paramref name="count"/> sleepers on <paramref name="word"/>, skipping the syscall when none sleeps.</summary>
    internal static void Wake(int* word, int* waiters, int count)
    {
        // The caller's change to *word was an interlocked (full-fence) operation, so this read cannot move before it:
        // a sleeper that incremented *waiters after this read will see the new *word inside futex_wait and not sleep.
        if (Volatile.Read(ref *waiters) > 0)
        {
            _ = Futex.Wake(word, count);
        }
    }
}
