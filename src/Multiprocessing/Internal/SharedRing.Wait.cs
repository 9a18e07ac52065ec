namespace Multiprocessing.Internal;

/// <summary>Waiting for data (no lock held).</summary>
internal sealed unsafe partial class SharedRing
{
    /// <summary>Spins, then sleeps until something is published or the ring is closed. False on timeout.</summary>
    internal bool WaitForData(Deadline deadline, CancellationToken ct)
    {
        // After a large record, the next one is probably being copied in right now: spin about as long as that takes.
        uint last = _lastRecordBytes;
        bool big = last >= BigRecord;
        PeerSpinner peer = big ? new PeerSpinner(last) : default;
        AdaptiveSpinner spinner = default;
        while (true)
        {
            ulong tail = Volatile.Read(ref _h->Tail);
            if (tail != Volatile.Read(ref _h->Head) || IsClosed)
            {
                return true;
            }

            if (big ? peer.SpinOnce() : spinner.SpinOnce())
            {
                continue;
            }

            // In slices: a publish into a non-empty ring wakes nobody (see Publish), so if the reader that was
            // awake dies, the others notice the backlog at their next slice.
            if (!FutexWait.Sleep(DataWord, (int)tail, &_h->DataWaiters, deadline, ct, SliceNs))
            {
                return HasData || IsClosed;
            }
        }
    }

    internal void AddDataWaiter() => Interlocked.Increment(ref _h->DataWaiters);

    internal void RemoveDataWaiter() => Interlocked.Decrement(ref _h->DataWaiters);

    internal void AddSpaceWaiter() => Interlocked.Increment(ref _h->SpaceWaiters);

    internal void RemoveSpaceWaiter() => Interlocked.Decrement(ref _h->SpaceWaiters);

    /// <summary>Completes when the data word differs from <paramref name="tail"/>'s low half or is woken.</summary>
    internal Task<bool> WatchData(ulong tail, Deadline deadline, CancellationToken ct) =>
        FutexWatcher.WaitAsync(DataWord, (int)tail, deadline, _keepAlive, ct);

    /// <summary>Completes when the space word differs from <paramref name="head"/>'s low half or is woken.</summary>
    internal Task<bool> WatchSpace(ulong head, Deadline deadline, CancellationToken ct) =>
        FutexWatcher.WaitAsync(SpaceWord, (int)head, deadline, _keepAlive, ct);

    /// <summary>Waits until Head moves from <paramref name="head"/> (space freed, a message taken). False on timeout.</summary>
    internal bool WaitForHeadChange(ulong head, Deadline deadline, CancellationToken ct)
    {
        AdaptiveSpinner spinner = default;
        while (Volatile.Read(ref _h->Head) == head && !IsClosed)
        {
            if (spinner.SpinOnce())
            {
                continue;
            }

            Volatile.Write(ref _h->SpaceWanted, 0L);

            if (!FutexWait.Sleep(SpaceWord, (int)head, &_h->SpaceWaiters, deadline, ct, SliceNs))
            {
                return Volatile.Read(ref _h->Head) != head;
            }
        }

        return true;
    }

    internal ulong Head => Volatile.Read(ref _h->Head);

    internal ulong Tail => Volatile.Read(ref _h->Tail);
}
