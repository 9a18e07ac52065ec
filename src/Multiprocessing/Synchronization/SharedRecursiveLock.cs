using Multiprocessing.Internal;

namespace Multiprocessing;

/// <summary>
/// A recursive lock shared between processes, Python's <c>multiprocessing.RLock</c>: the thread that holds it may
/// acquire it again, and must release it as many times. Owned by one thread of one process (pid and managed thread id
/// are recorded). When the owner process dies holding it, the next waiter takes it over and gets
/// <see cref="AbandonedMutexException"/>. Thread-affine, so there is no async acquire (a continuation may run on
/// another thread); use <see cref="SharedLock"/> across <c>await</c>.
/// </summary>
/// <remarks>
/// The creator owns the name: <see cref="Unlink"/> removes it (it is removed when the creator exits too);
/// <see cref="Dispose"/> only closes this process's view. Pass it to a worker as an argument and it is reopened there by name.
/// </remarks>
public sealed unsafe class SharedRecursiveLock : IDisposable, Processes.ISharedObject<SharedRecursiveLock>
{
    private const int LayoutVersion = 1;
    private readonly Segment _segment;
    private readonly RobustMutex* _mutex;

    private SharedRecursiveLock(Segment segment)
    {
        _segment = segment;
        _mutex = (RobustMutex*)segment.Data;
    }

    /// <summary>Creates a free lock under a fresh anonymous name.</summary>
    public static SharedRecursiveLock Create() => Create(SegmentNames.NewAnonymous("rlock"));

    /// <summary>Creates a free lock named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The name has characters other than letters, digits, '.', '_', '-'.</exception>
    /// <exception cref="IOException">The name is taken.</exception>
    public static SharedRecursiveLock Create(string name)
    {
        Segment s = Segment.Create(name, SegmentKind.RecursiveLock, LayoutVersion, sizeof(RobustMutex));
        s.Publish();
        return new SharedRecursiveLock(s);
    }

    /// <summary>Opens the lock named <paramref name="name"/>.</summary>
    /// <exception cref="FileNotFoundException">No such name.</exception>
    /// <exception cref="WrongKindException">The name holds another kind of shared object.</exception>
    public static SharedRecursiveLock Open(string name) => new(Segment.Open(name, SegmentKind.RecursiveLock, LayoutVersion));

    static SharedRecursiveLock Processes.ISharedObject<SharedRecursiveLock>.OpenShared(string name) => Open(name);

    /// <summary>The name other processes open it by.</summary>
    public string Name => _segment.Name;

    /// <summary>True in the process that created the lock.</summary>
    public bool IsOwner => _segment.IsCreator;

    /// <summary>True when the calling thread holds the lock.</summary>
    public bool IsHeldByCurrentThread
    {
        get
        {
            ThrowIfDisposed();
            return HeldByMe();
        }
    }

    /// <summary>How many times the calling thread holds the lock (0 if it does not).</summary>
    public int RecursionCount
    {
        get
        {
            ThrowIfDisposed();
            return HeldByMe() ? _mutex->Recursion : 0;
        }
    }

    /// <summary>The pid of the process that holds the lock, or 0 when it is free (a snapshot, for diagnostics).</summary>
    public int OwnerProcessId
    {
        get
        {
            ThrowIfDisposed();
            return Volatile.Read(ref _mutex->Word);
        }
    }

    /// <summary>Takes the lock, waiting while another thread or process holds it.</summary>
    /// <exception cref="AbandonedMutexException">The previous owner died holding it. This thread now holds the lock once;
    /// the data it protects may be half-changed: repair it, then <see cref="Release"/>.</exception>
    public void Acquire() => _ = TryAcquire(Deadline.Infinite, default);

    /// <summary>Takes the lock if it becomes free within <paramref name="timeout"/>; false on timeout.</summary>
    /// <exception cref="AbandonedMutexException">The previous owner died holding it; this thread now holds the lock once.</exception>
    public bool TryAcquire(TimeSpan timeout) => TryAcquire(Deadline.After(timeout), default);

    /// <summary>Takes the lock if it becomes free within <paramref name="timeout"/>, unless <paramref name="ct"/> is cancelled first.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled; the lock is not taken.</exception>
    /// <exception cref="AbandonedMutexException">The previous owner died holding it; this thread now holds the lock once.</exception>
    public bool TryAcquire(TimeSpan timeout, CancellationToken ct) => TryAcquire(Deadline.After(timeout), ct);

    /// <summary>Takes the lock and returns a scope that releases it once: <c>using (l.EnterScope()) { … }</c>.</summary>
    /// <exception cref="AbandonedMutexException">The previous owner died holding it; this thread holds the lock but no scope was returned.</exception>
    public LockScope EnterScope()
    {
        Acquire();
        return new LockScope(this);
    }

    /// <summary>Releases one level; the last release frees the lock and wakes one waiter.</summary>
    /// <exception cref="SynchronizationLockException">The calling thread does not hold the lock.</exception>
    public void Release()
    {
        ThrowIfDisposed();
        if (!HeldByMe())
        {
            int owner = Volatile.Read(ref _mutex->Word);
            throw new SynchronizationLockException(owner == 0
                ? $"The SharedRecursiveLock '{Name}' is not held; release only a lock you acquired."
                : $"The SharedRecursiveLock '{Name}' is held by process {owner} thread {Volatile.Read(ref _mutex->OwnerThread)}, not by this thread; release it from the thread that acquired it.");
        }

        if (--_mutex->Recursion == 0)
        {
            RobustMutex.Exit(_mutex);
        }
    }

    /// <summary>Removes the name so no new process can open it; existing views stay valid. Only the creator may unlink.</summary>
    /// <exception cref="InvalidOperationException">This process opened the lock rather than creating it.</exception>
    public void Unlink() => _segment.Unlink();

    /// <summary>Closes this process's view. Does not release the lock.</summary>
    public void Dispose() => _segment.Dispose();

    private bool HeldByMe() =>
        Volatile.Read(ref _mutex->Word) == CurrentProcess.Id && Volatile.Read(ref _mutex->OwnerThread) == Environment.CurrentManagedThreadId;

    private bool TryAcquire(Deadline deadline, CancellationToken ct)
    {
        ThrowIfDisposed();
        if (HeldByMe())
        {
            _mutex->Recursion++;
            return true;
        }

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

        _mutex->Recursion = 1;
        Volatile.Write(ref _mutex->OwnerThread, Environment.CurrentManagedThreadId);
        return r == EnterResult.Abandoned
            ? throw new AbandonedMutexException(
                $"The SharedRecursiveLock '{Name}' was abandoned: its previous owner process died holding it. This thread now holds it once; the data it protects may be half-changed, so check it, then release the lock.")
            : true;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_segment.IsClosed, this);
}
