using Multiprocessing.Internal;

namespace Multiprocessing;

/// <summary>
/// A lock shared between processes, Python's <c>multiprocessing.Lock</c>, that notices a dead owner. The owner's pid is
/// the lock word, so when a process dies holding it (even by <c>kill -9</c>), the next waiter takes it over and is
/// told through <see cref="AbandonedMutexException"/> instead of waiting forever. Not recursive: acquiring it again
/// from the process that holds it waits (use <see cref="SharedRecursiveLock"/> for that). Any thread of the owning
/// process may release it, so it can be held across an <c>await</c>.
/// </summary>
/// <remarks>
/// The creator owns the name: <see cref="Unlink"/> removes it (it is removed when the creator exits too); <see cref="Dispose"/>
/// only closes this process's view. Pass it to a worker as an argument and it is reopened there by name.
/// </remarks>
public sealed class SharedLock : IDisposable, Processes.ISharedObject<SharedLock>
{
    internal const int LayoutVersion = 1;

    /// <summary>The suffix of the name of a lock that lives inside a <see cref="SharedValue{T}"/> or <see cref="SharedArray{T}"/>.</summary>
    internal const string EmbeddedSuffix = "#lock";

    private readonly Segment _segment;
    private readonly unsafe RobustMutex* _mutex;
    private readonly bool _ownsSegment;

    private unsafe SharedLock(Segment segment, RobustMutex* mutex, string name, bool ownsSegment)
    {
        _segment = segment;
        _mutex = mutex;
        Name = name;
        _ownsSegment = ownsSegment;
    }

    /// <summary>Creates a free lock under a fresh anonymous name.</summary>
    public static SharedLock Create() => Create(SegmentNames.NewAnonymous("lock"));

    /// <summary>Creates a free lock named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The name has characters other than letters, digits, '.', '_', '-'.</exception>
    /// <exception cref="IOException">The name is taken.</exception>
    public static unsafe SharedLock Create(string name)
    {
        Segment s = Segment.Create(name, SegmentKind.Lock, LayoutVersion, sizeof(RobustMutex));
        s.Publish();
        return new SharedLock(s, (RobustMutex*)s.Data, name, ownsSegment: true);
    }

    /// <summary>Opens the lock named <paramref name="name"/> (also the lock of a shared value or array, named "<c>its-name#lock</c>").</summary>
    /// <exception cref="FileNotFoundException">No such name.</exception>
    /// <exception cref="WrongKindException">The name holds another kind of shared object.</exception>
    public static unsafe SharedLock Open(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.EndsWith(EmbeddedSuffix, StringComparison.Ordinal))
        {
            string owner = name[..^EmbeddedSuffix.Length];
            Segment s = Segment.Open(owner, SegmentKind.None, LayoutVersion);
            if (s.Kind is not (SegmentKind.Value or SegmentKind.Array))
            {
                string actual = Segment.Describe(s.Kind);
                s.Dispose();
                throw new WrongKindException(owner, actual, "SharedValue or SharedArray (which have a lock)");
            }

            return new SharedLock(s, (RobustMutex*)s.Data, name, ownsSegment: true);
        }

        Segment own = Segment.Open(name, SegmentKind.Lock, LayoutVersion);
        return new SharedLock(own, (RobustMutex*)own.Data, name, ownsSegment: true);
    }

    static SharedLock Processes.ISharedObject<SharedLock>.OpenShared(string name) => Open(name);

    /// <summary>The lock at the start of a value's or array's data area; it lives as long as that object's view.</summary>
    internal static unsafe SharedLock Embedded(Segment owner) =>
        new(owner, (RobustMutex*)owner.Data, owner.Name + EmbeddedSuffix, ownsSegment: false);

    /// <summary>The name other processes open it by.</summary>
    public string Name { get; }

    /// <summary>True in the process that created the lock.</summary>
    public bool IsOwner => _ownsSegment && _segment.IsCreator;

    /// <summary>True when this process holds the lock.</summary>
    public unsafe bool IsHeldByCurrentProcess
    {
        get
        {
            ThrowIfDisposed();
            return RobustMutex.IsHeldBy(_mutex, CurrentProcess.Id);
        }
    }

    /// <summary>The pid of the process that holds the lock, or 0 when it is free (a snapshot, for diagnostics).</summary>
    public unsafe int OwnerProcessId
    {
        get
        {
            ThrowIfDisposed();
            return Volatile.Read(ref _mutex->Word);
        }
    }

    /// <summary>The managed thread id that acquired the lock in its owner process, or 0 when free (for diagnostics).</summary>
    public unsafe int OwnerThreadId
    {
        get
        {
            ThrowIfDisposed();
            return Volatile.Read(ref _mutex->OwnerThread);
        }
    }

    /// <summary>Waits until the lock is free and takes it.</summary>
    /// <exception cref="AbandonedMutexException">The previous owner died holding it. This process now holds the lock;
    /// the data it protects may be half-changed: repair it, then <see cref="Release"/>.</exception>
    public void Acquire() => _ = TryAcquire(Deadline.Infinite, default);

    /// <summary>Takes the lock if it becomes free within <paramref name="timeout"/>; false on timeout.</summary>
    /// <param name="timeout">How long to wait: <see cref="TimeSpan.Zero"/> to only try, <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</param>
    /// <exception cref="AbandonedMutexException">The previous owner died holding it; this process now holds the lock.</exception>
    public bool TryAcquire(TimeSpan timeout) => TryAcquire(Deadline.After(timeout), default);

    /// <summary>Takes the lock if it becomes free within <paramref name="timeout"/>, unless <paramref name="ct"/> is cancelled first.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled; the lock is not taken.</exception>
    /// <exception cref="AbandonedMutexException">The previous owner died holding it; this process now holds the lock.</exception>
    public bool TryAcquire(TimeSpan timeout, CancellationToken ct) => TryAcquire(Deadline.After(timeout), ct);

    /// <summary>Takes the lock and returns a scope that releases it: <c>using (l.EnterScope()) { … }</c>.</summary>
    /// <exception cref="AbandonedMutexException">The previous owner died holding it. This process holds the lock but no
    /// scope was returned: repair the data, then call <see cref="Release"/>.</exception>
    public LockScope EnterScope()
    {
        Acquire();
        return new LockScope(this);
    }

    /// <summary>Waits asynchronously for the lock, without blocking a thread while it waits.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled; the lock is not taken.</exception>
    /// <exception cref="AbandonedMutexException">The previous owner died holding it; this process now holds the lock.</exception>
    public unsafe ValueTask AcquireAsync(CancellationToken ct = default)
    {
        ThrowIfDisposed();
        if (RobustMutex.TryEnterFast(_mutex, CurrentProcess.Id))
        {
            Volatile.Write(ref _mutex->OwnerThread, Environment.CurrentManagedThreadId);
            return ValueTask.CompletedTask;
        }

        return new ValueTask(AcquireSlowAsync(Deadline.Infinite, ct));
    }

    /// <summary>Waits asynchronously up to <paramref name="timeout"/> for the lock; false on timeout.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled; the lock is not taken.</exception>
    /// <exception cref="AbandonedMutexException">The previous owner died holding it; this process now holds the lock.</exception>
    public unsafe ValueTask<bool> TryAcquireAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        Deadline deadline = Deadline.After(timeout);
        ThrowIfDisposed();
        if (RobustMutex.TryEnterFast(_mutex, CurrentProcess.Id))
        {
            Volatile.Write(ref _mutex->OwnerThread, Environment.CurrentManagedThreadId);
            return new ValueTask<bool>(true);
        }

        return new ValueTask<bool>(AcquireSlowAsync(deadline, ct));
    }

    /// <summary>Releases the lock, waking one waiter.</summary>
    /// <exception cref="SynchronizationLockException">This process does not hold the lock.</exception>
    public unsafe void Release()
    {
        ThrowIfDisposed();
        int owner = Volatile.Read(ref _mutex->Word);
        if (owner != CurrentProcess.Id)
        {
            throw new SynchronizationLockException(owner == 0
                ? $"The SharedLock '{Name}' is not held; release only a lock you acquired."
                : $"The SharedLock '{Name}' is held by process {owner}, not this one ({CurrentProcess.Id}); release only a lock you acquired.");
        }

        RobustMutex.Exit(_mutex);
    }

    /// <summary>Removes the name so no new process can open it; existing views stay valid. Only the creator may unlink.</summary>
    /// <exception cref="InvalidOperationException">This process opened the lock rather than creating it, or it belongs to a value or array.</exception>
    public void Unlink()
    {
        if (!_ownsSegment)
        {
            throw new InvalidOperationException($"The SharedLock '{Name}' belongs to a shared value or array; unlink that object instead.");
        }

        _segment.Unlink();
    }

    /// <summary>Closes this process's view (a lock taken from a value or array closes with that object). Does not release the lock.</summary>
    public void Dispose()
    {
        if (_ownsSegment)
        {
            _segment.Dispose();
        }
    }

    internal unsafe RobustMutex* Mutex => _mutex;

    internal unsafe bool TryAcquire(Deadline deadline, CancellationToken ct)
    {
        ThrowIfDisposed();
        EnterResult r;
        if (RobustMutex.TryEnterFast(_mutex, CurrentProcess.Id))
        {
            r = EnterResult.Acquired;
        }
        else
        {
            using MappingLease lease = MappingLease.Take(_segment);
            r = RobustMutex.Enter(_mutex, CurrentProcess.Id, deadline, ct);
        }

        if (r == EnterResult.TimedOut)
        {
            return false;
        }

        Volatile.Write(ref _mutex->OwnerThread, Environment.CurrentManagedThreadId);
        return r == EnterResult.Abandoned ? throw Abandoned() : true;
    }

    internal AbandonedMutexException Abandoned() => new(
        $"The SharedLock '{Name}' was abandoned: its previous owner process died holding it. This process now holds it; the data it protects may be half-changed, so check it, then release the lock.");

    private async Task<bool> AcquireSlowAsync(Deadline deadline, CancellationToken ct)
    {
        while (true)
        {
            (EnterResult r, int owner) = Step();
            if (r == EnterResult.Acquired)
            {
                return true;
            }

            if (r == EnterResult.Abandoned)
            {
                throw Abandoned();
            }

            // Wake up at least every liveness slice to check that the owner is alive: nobody wakes us if it dies.
            Deadline slice = Deadline.After(TimeSpan.FromTicks(RobustMutex.LivenessSliceNs / 100));
            bool changed;
            try
            {
                changed = await Watch(owner, slice.Ticks < deadline.Ticks ? slice : deadline, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                PassOnWake();
                throw;
            }

            if (!changed && deadline.HasPassed)
            {
                (r, _) = Step();
                return r == EnterResult.Abandoned ? throw Abandoned() : r == EnterResult.Acquired;
            }
        }
    }

    private unsafe (EnterResult Result, int Owner) Step()
    {
        ThrowIfDisposed();

        // This waiter may be the one a release woke: clear the flag before looking at the word (see RobustMutex.Exit).
        RobustMutex.ClearWakePending(_mutex);
        EnterResult r = RobustMutex.TryEnterOrTakeOver(_mutex, CurrentProcess.Id, out int owner);
        if (r != EnterResult.TimedOut)
        {
            Volatile.Write(ref _mutex->OwnerThread, Environment.CurrentManagedThreadId);
        }

        return (r, owner);
    }

    private unsafe void PassOnWake()
    {
        if (!_segment.IsClosed)
        {
            RobustMutex.PassOnWake(_mutex);
        }
    }

    private unsafe Task<bool> Watch(int owner, Deadline deadline, CancellationToken ct) =>
        FutexWatcher.WaitAsync(&_mutex->Word, owner, deadline, _segment.Mapping, ct, &_mutex->Waiters);

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_segment.IsClosed, this);
}
