using Multiprocessing.Internal;

namespace Multiprocessing;

/// <summary>
/// A counting semaphore shared between processes that cannot be released above its maximum count, Python's
/// <c>multiprocessing.BoundedSemaphore</c>: a release past the bound throws <see cref="SemaphoreFullException"/>, which
/// catches a release without a matching acquire. Owner-less: a process that dies holding a permit does not return it.
/// </summary>
/// <remarks>
/// The creator owns the name: <see cref="Unlink"/> removes it (it is removed when the creator exits too);
/// <see cref="Dispose"/> only closes this process's view. Pass it to a worker as an argument and it is reopened there by name.
/// </remarks>
public sealed class SharedBoundedSemaphore : IDisposable, Processes.ISharedObject<SharedBoundedSemaphore>
{
    private readonly SemaphoreCore _core;

    private SharedBoundedSemaphore(Segment segment) => _core = SemaphoreCore.Attach(segment, this);

    /// <summary>Creates a semaphore with <paramref name="initialCount"/> permits, at most <paramref name="maximumCount"/>, under a fresh anonymous name.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="initialCount"/> is negative or above <paramref name="maximumCount"/>, or <paramref name="maximumCount"/> is not positive.</exception>
    public static SharedBoundedSemaphore Create(int initialCount, int maximumCount) =>
        Create(SegmentNames.NewAnonymous("bsem"), initialCount, maximumCount);

    /// <summary>Creates a semaphore named <paramref name="name"/> with <paramref name="initialCount"/> permits, at most <paramref name="maximumCount"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="initialCount"/> is negative or above <paramref name="maximumCount"/>, or <paramref name="maximumCount"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The name has characters other than letters, digits, '.', '_', '-'.</exception>
    /// <exception cref="IOException">The name is taken.</exception>
    public static SharedBoundedSemaphore Create(string name, int initialCount, int maximumCount) =>
        new(SemaphoreCore.CreateSegment(name, SegmentKind.BoundedSemaphore, initialCount, maximumCount));

    /// <summary>Opens the semaphore named <paramref name="name"/>.</summary>
    /// <exception cref="FileNotFoundException">No such name.</exception>
    /// <exception cref="WrongKindException">The name holds another kind of shared object (an unbounded semaphore included).</exception>
    public static SharedBoundedSemaphore Open(string name) => new(Segment.Open(name, SegmentKind.BoundedSemaphore, SemaphoreCore.LayoutVersion));

    static SharedBoundedSemaphore Processes.ISharedObject<SharedBoundedSemaphore>.OpenShared(string name) => Open(name);

    /// <summary>The name other processes open it by.</summary>
    public string Name => _core.Name;

    /// <summary>True in the process that created the semaphore.</summary>
    public bool IsOwner => _core.IsCreator;

    /// <summary>The most permits the semaphore may hold.</summary>
    public int MaximumCount => _core.Maximum;

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
    /// <exception cref="SemaphoreFullException">The count would pass <see cref="MaximumCount"/>; nothing is released.</exception>
    public int Release(int releaseCount = 1) => _core.Release(releaseCount, nameof(SharedBoundedSemaphore));

    /// <summary>Removes the name so no new process can open it; existing views stay valid. Only the creator may unlink.</summary>
    /// <exception cref="InvalidOperationException">This process opened the semaphore rather than creating it.</exception>
    public void Unlink() => _core.Unlink();

    /// <summary>Closes this process's view. Does not remove the name.</summary>
    public void Dispose() => _core.Dispose();
}
