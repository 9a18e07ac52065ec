using Multiprocessing.Internal;

namespace Multiprocessing;

/// <summary>
/// A counting semaphore shared between processes, Python's <c>multiprocessing.Semaphore</c>: <see cref="Acquire"/>
/// takes a permit (waiting while there is none), <see cref="Release"/> gives permits back. Owner-less, as in POSIX and
/// CPython: a process that dies holding a permit does not return it. For a semaphore that refuses to be released above
/// its initial count use <see cref="SharedBoundedSemaphore"/>.
/// </summary>
/// <remarks>
/// The creator owns the name: <see cref="Unlink"/> removes it (it is removed when the creator exits too);
/// <see cref="Dispose"/> only closes this process's view. Pass it to a worker as an argument and it is reopened there by name.
/// </remarks>
public class SharedSemaphore : IDisposable, Processes.ISharedObject<SharedSemaphore>
{
    private protected readonly SemaphoreCore _core;

    private protected SharedSemaphore(Segment segment) => _core = SemaphoreCore.Attach(segment, this);

    /// <summary>Creates a semaphore with <paramref name="initialCount"/> permits under a fresh anonymous name.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="initialCount"/> is negative.</exception>
    public static SharedSemaphore Create(int initialCount = 1) => Create(SegmentNames.NewAnonymous("sem"), initialCount);

    /// <summary>Creates a semaphore named <paramref name="name"/> with <paramref name="initialCount"/> permits.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="initialCount"/> is negative.</exception>
    /// <exception cref="ArgumentException">The name has characters other than letters, digits, '.', '_', '-'.</exception>
    /// <exception cref="IOException">The name is taken.</exception>
    public static SharedSemaphore Create(string name, int initialCount) =>
        new(SemaphoreCore.CreateSegment(name, SegmentKind.Semaphore, initialCount, int.MaxValue));

    /// <summary>Opens the semaphore named <paramref name="name"/>.</summary>
    /// <exception cref="FileNotFoundException">No such name.</exception>
    /// <exception cref="WrongKindException">The name holds another kind of shared object (a bounded semaphore included).</exception>
    public static SharedSemaphore Open(string name) => new(Segment.Open(name, SegmentKind.Semaphore, SemaphoreCore.LayoutVersion));

    static SharedSemaphore Processes.ISharedObject<SharedSemaphore>.OpenShared(string name) => Open(name);

    /// <summary>The name other processes open it by.</summary>
    public string Name => _core.Name;

    /// <summary>True in the process that created the semaphore.</summary>
    public bool IsOwner => _core.IsCreator;

    /// <summary>The number of free permits now (a snapshot).</summary>
    public int CurrentCount => _core.CurrentCount;

    /// <summary>Takes a permit, waiting while there is none.</summary>
    public void Acquire() => _ = _core.TryAcquire(Timeout.InfiniteTimeSpan, default);

    /// <summary>Takes a permit if one is free within <paramref name="timeout"/>; false on timeout.</summary>
    /// <param name="timeout">How long to wait: <see cref="TimeSpan.Zero"/> to only try, <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</param>
    /// <param name="ct">Cancels the wait with <see cref="OperationCanceledException"/>; no permit is taken then.</param>
    public bool TryAcquire(TimeSpan timeout, CancellationToken ct = default) => _core.TryAcquire(timeout, ct);

    /// <summary>Takes a permit, waiting asynchronously (no thread is blocked meanwhile).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled; no permit is taken.</exception>
    public async ValueTask AcquireAsync(CancellationToken ct = default) =>
        _ = await _core.TryAcquireAsync(Timeout.InfiniteTimeSpan, ct).ConfigureAwait(false);

    /// <summary>Takes a permit if one is free within <paramref name="timeout"/>, waiting asynchronously; false on timeout.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled; no permit is taken.</exception>
    public ValueTask<bool> TryAcquireAsync(TimeSpan timeout, CancellationToken ct = default) => _core.TryAcquireAsync(timeout, ct);

    /// <summary>Returns <paramref name="releaseCount"/> permits, waking as many waiters; returns the count before.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="releaseCount"/> is zero or negative.</exception>
    /// <exception cref="SemaphoreFullException">The count would pass its maximum (<see cref="int.MaxValue"/>, or a
    /// <see cref="SharedBoundedSemaphore"/>'s <see cref="SharedBoundedSemaphore.MaximumCount"/>); nothing is released then.</exception>
    public int Release(int releaseCount = 1) => _core.Release(releaseCount, GetType().Name);

    /// <summary>Removes the name so no new process can open it; existing views stay valid. Only the creator may unlink.</summary>
    /// <exception cref="InvalidOperationException">This process opened the semaphore rather than creating it.</exception>
    public void Unlink() => _core.Unlink();

    /// <summary>Closes this process's view. Does not remove the name.</summary>
    public void Dispose()
    {
        _core.Dispose();
        GC.SuppressFinalize(this);
    }
}
