namespace Multiprocessing.Internal;

/// <summary>The async waits of <see cref="SharedRing"/> (kept apart: an async method cannot run in an unsafe context).</summary>
internal sealed partial class SharedRing
{
    /// <summary>The async twin of <see cref="WaitForData"/>: one futex watcher thread serves every waiter, no thread is parked.</summary>
    internal async ValueTask<bool> WaitForDataAsync(Deadline deadline, CancellationToken ct)
    {
        while (true)
        {
            ulong tail = Tail;
            if (tail != Head || IsClosed)
            {
                return true;
            }

            if (deadline.HasPassed)
            {
                return false;
            }

            // Counted as a sleeper so that producers wake the futex word the watcher thread waits on; the watcher
            // compares the word again when it starts waiting, so a publish in between is not missed.
            AddDataWaiter();
            try
            {
                if (Tail == tail && !IsClosed)
                {
                    // In slices, as WaitForData (a publish into a non-empty ring wakes nobody).
                    long left = deadline.RemainingNanoseconds;
                    Deadline slice = left >= 0 && left < SliceNs ? deadline : Deadline.After(TimeSpan.FromTicks(SliceNs / 100));
                    _ = await WatchData(tail, slice, ct).ConfigureAwait(false);
                }
            }
            finally
            {
                RemoveDataWaiter();
            }
        }
    }

    /// <summary>The async twin of <see cref="WaitForHeadChange"/>, limited to <paramref name="slice"/>.</summary>
    internal async ValueTask WaitForHeadChangeAsync(ulong head, TimeSpan slice, CancellationToken ct)
    {
        AddSpaceWaiter();
        try
        {
            if (Head == head && !IsClosed)
            {
                _ = await WatchSpace(head, Deadline.After(slice), ct).ConfigureAwait(false);
            }
        }
        finally
        {
            RemoveSpaceWaiter();
        }
    }
}
