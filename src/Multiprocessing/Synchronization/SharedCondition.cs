using System.Runtime.InteropServices;
using System.Text;
using Multiprocessing.Internal;

namespace Multiprocessing;

/// <summary>
/// A condition variable shared between processes, Python's <c>multiprocessing.Condition</c>, over a
/// <see cref="SharedLock"/>: holding <see cref="Lock"/>, a process <see cref="Wait()"/>s (the lock is released while it
/// waits and taken again before it returns) until another process <see cref="Notify"/>s. <see cref="Notify"/> wakes at
/// most n of the processes waiting at that moment; a process that starts waiting later cannot take their wake-up.
/// </summary>
/// <remarks>
/// As in CPython, a notifier hands out wake-ups and then waits, still holding the lock, until the woken waiters have
/// acknowledged them (so no new waiter can slip in and steal one). The wait for an acknowledgement is bounded by
/// <see cref="AcknowledgeTimeout"/>, so a waiter that was killed costs the next notifier that long once, instead of a hang.
/// The segment records the lock's name, so <see cref="Open"/> (and a worker receiving the condition) opens the same
/// lock. The creator owns the name: <see cref="Unlink"/> removes it; <see cref="Dispose"/> only closes this process's view.
/// </remarks>
public sealed unsafe class SharedCondition : IDisposable, Processes.ISharedObject<SharedCondition>
{
    private const int LayoutVersion = 1;
    private const int LockNameCapacity = 256;

    /// <summary>How long a notifier waits for each woken waiter to acknowledge before it assumes the waiter died.</summary>
    public static readonly TimeSpan AcknowledgeTimeout = TimeSpan.FromSeconds(1);

    [StructLayout(LayoutKind.Explicit, Size = 32 + LockNameCapacity)]
    private struct Layout
    {
        /// <summary>Waiters not yet handed a wake-up; changed only under the lock.</summary>
        [FieldOffset(0)] internal int Sleeping;

        /// <summary>Wake-ups handed out by Notify.</summary>
        [FieldOffset(8)] internal CountingSemaphore WakeUps;

        /// <summary>One per waiter that stopped waiting (woken or timed out), before it takes the lock again.</summary>
        [FieldOffset(16)] internal CountingSemaphore Woken;
        [FieldOffset(24)] internal int LockNameLength;
        [FieldOffset(32)] internal fixed byte LockName[LockNameCapacity];
    }

    private readonly Segment _segment;
    private readonly bool _ownsLock;

    private SharedCondition(Segment segment, SharedLock lockToUse, bool ownsLock)
    {
        _segment = segment;
        Lock = lockToUse;
        _ownsLock = ownsLock;
    }

    /// <summary>Creates a condition under a fresh anonymous name, over <paramref name="lockToUse"/> or, if null, over a new lock of its own.</summary>
    public static SharedCondition Create(SharedLock? lockToUse = null) => Create(SegmentNames.NewAnonymous("cond"), lockToUse);

    /// <summary>Creates a condition named <paramref name="name"/>, over <paramref name="lockToUse"/> or, if null, over a new lock of its own.</summary>
    /// <exception cref="ArgumentException">The name has characters other than letters, digits, '.', '_', '-'.</exception>
    /// <exception cref="IOException">The name is taken.</exception>
    public static SharedCondition Create(string name, SharedLock? lockToUse)
    {
        SegmentNames.Validate(name);
        bool ownsLock = lockToUse is null;
        lockToUse ??= SharedLock.Create(SegmentNames.NewAnonymous("condlock"));
        try
        {
            byte[] lockName = Encoding.UTF8.GetBytes(lockToUse.Name);
            Segment s = Segment.Create(name, SegmentKind.Condition, LayoutVersion, sizeof(Layout));
            Layout* l = (Layout*)s.Data;
            l->LockNameLength = lockName.Length;
            lockName.CopyTo(new Span<byte>(l->LockName, LockNameCapacity));
            s.Publish();
            return new SharedCondition(s, lockToUse, ownsLock);
        }
        catch when (ownsLock)
        {
            lockToUse.Unlink();
            lockToUse.Dispose();
            throw;
        }
    }

    /// <summary>Opens the condition named <paramref name="name"/>, and its lock.</summary>
    /// <exception cref="FileNotFoundException">No such name, or its lock is gone.</exception>
    /// <exception cref="WrongKindException">The name holds another kind of shared object.</exception>
    public static SharedCondition Open(string name)
    {
        Segment s = Segment.Open(name, SegmentKind.Condition, LayoutVersion);
        try
        {
            Layout* l = (Layout*)s.Data;
            string lockName = Encoding.UTF8.GetString(l->LockName, Math.Clamp(l->LockNameLength, 0, LockNameCapacity));
            return new SharedCondition(s, SharedLock.Open(lockName), ownsLock: true);
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    static SharedCondition Processes.ISharedObject<SharedCondition>.OpenShared(string name) => Open(name);

    /// <summary>The name other processes open it by.</summary>
    public string Name => _segment.Name;

    /// <summary>True in the process that created the condition.</summary>
    public bool IsOwner => _segment.IsCreator;

    /// <summary>The lock that <see cref="Wait()"/> and <see cref="Notify"/> must be called under.</summary>
    public SharedLock Lock { get; }

    /// <summary>Releases the lock, waits for a notify, and takes the lock again.</summary>
    /// <exception cref="SynchronizationLockException">This process does not hold <see cref="Lock"/>.</exception>
    /// <exception cref="AbandonedMutexException">While this process waited, the lock's owner died holding it; the lock is held again.</exception>
    public void Wait() => _ = Wait(Timeout.InfiniteTimeSpan, default);

    /// <summary>Releases the lock, waits up to <paramref name="timeout"/> for a notify, and takes the lock again (whatever the outcome).</summary>
    /// <returns>True if notified, false on timeout.</returns>
    /// <exception cref="SynchronizationLockException">This process does not hold <see cref="Lock"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled; the lock is held again.</exception>
    /// <exception cref="AbandonedMutexException">While this process waited, the lock's owner died holding it; the lock is held again.</exception>
    public bool Wait(TimeSpan timeout, CancellationToken ct = default)
    {
        Deadline deadline = Deadline.After(timeout);
        Layout* l = Data;
        ThrowIfNotHeld("wait on");
        using MappingLease lease = MappingLease.Take(_segment);
        Volatile.Write(ref l->Sleeping, l->Sleeping + 1);
        Lock.Release();
        bool notified = false;
        try
        {
            notified = CountingSemaphore.Take(&l->WakeUps, deadline, ct);
        }
        finally
        {
            // Acknowledge on every path (woken, timed out, cancelled): a notifier waits for it, or the next one counts
            // it to forget this waiter. Then take the lock again, as a condition's caller expects (also when abandoned).
            _ = CountingSemaphore.Release(&l->Woken, 1);
            _ = Lock.TryAcquire(Deadline.Infinite, default);
        }

        return notified;
    }

    /// <summary>Waits until <paramref name="predicate"/> (evaluated under the lock) is true.</summary>
    /// <exception cref="SynchronizationLockException">This process does not hold <see cref="Lock"/>.</exception>
    public void WaitFor(Func<bool> predicate) => _ = WaitFor(predicate, Timeout.InfiniteTimeSpan);

    /// <summary>Waits until <paramref name="predicate"/> (evaluated under the lock) is true, at most <paramref name="timeout"/> in all.</summary>
    /// <returns>The predicate's last value: false means the timeout passed first.</returns>
    /// <exception cref="SynchronizationLockException">This process does not hold <see cref="Lock"/>.</exception>
    public bool WaitFor(Func<bool> predicate, TimeSpan timeout, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        Deadline deadline = Deadline.After(timeout);
        bool result = predicate();
        while (!result)
        {
            long ns = deadline.RemainingNanoseconds;
            if (ns == 0)
            {
                break;
            }

            _ = Wait(ns < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromTicks(Math.Max(1, ns / 100)), ct);
            result = predicate();
        }

        return result;
    }

    /// <summary>Wakes up to <paramref name="n"/> waiters; they run once this process releases the lock.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is negative.</exception>
    /// <exception cref="SynchronizationLockException">This process does not hold <see cref="Lock"/>.</exception>
    public void Notify(int n = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        Layout* l = Data;
        ThrowIfNotHeld("notify");

        // Waiters that stopped on their own (timed out, cancelled) since the last notify: forget them.
        while (CountingSemaphore.TryTake(&l->Woken))
        {
            Volatile.Write(ref l->Sleeping, Math.Max(0, l->Sleeping - 1));
        }

        int k = Math.Min(n, Volatile.Read(ref l->Sleeping));
        if (k == 0)
        {
            return;
        }

        Volatile.Write(ref l->Sleeping, l->Sleeping - k);
        _ = CountingSemaphore.Release(&l->WakeUps, k);

        // Hold the lock until the k woken waiters have left the wait, so a new waiter cannot take their wake-up.
        for (int i = 0; i < k; i++)
        {
            if (!CountingSemaphore.Take(&l->Woken, Deadline.After(AcknowledgeTimeout), default))
            {
                break;
            }
        }

        // A waiter that timed out meanwhile acknowledged without taking its wake-up: withdraw what is left over.
        while (CountingSemaphore.TryTake(&l->WakeUps))
        {
        }
    }

    /// <summary>Wakes every waiter.</summary>
    /// <exception cref="SynchronizationLockException">This process does not hold <see cref="Lock"/>.</exception>
    public void NotifyAll() => Notify(int.MaxValue);

    /// <summary>Removes the name (and that of the lock it created itself) so no new process can open it. Only the creator may unlink.</summary>
    /// <exception cref="InvalidOperationException">This process opened the condition rather than creating it.</exception>
    public void Unlink()
    {
        _segment.Unlink();
        if (_ownsLock && Lock.IsOwner)
        {
            Lock.Unlink();
        }
    }

    /// <summary>Closes this process's view (and the lock's, if this object opened or created the lock).</summary>
    public void Dispose()
    {
        _segment.Dispose();
        if (_ownsLock)
        {
            Lock.Dispose();
        }
    }

    private void ThrowIfNotHeld(string what)
    {
        if (!Lock.IsHeldByCurrentProcess)
        {
            throw new SynchronizationLockException($"This process does not hold the lock of the SharedCondition '{Name}'; acquire condition.Lock before you {what} it.");
        }
    }

    private Layout* Data
    {
        get
        {
            ObjectDisposedException.ThrowIf(_segment.IsClosed, this);
            return (Layout*)_segment.Data;
        }
    }
}
