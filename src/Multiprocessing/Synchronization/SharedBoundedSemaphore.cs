using Multiprocessing.Internal;

namespace Multiprocessing;

/// <summary>
/// A counting semaphore shared between processes that cannot be released above its maximum count, Python's
/// <c>multiprocessing.BoundedSemaphore</c>: a release past the bound throws <see cref="SemaphoreFullException"/>, which
/// catches a release without a matching acquire. Owner-less: a process that dies holding a permit does not return it.
/// </summary>
/// <remarks>
/// The creator owns the name: <see cref="SharedSemaphore.Unlink"/> removes it (it is removed when the creator exits too);
/// <see cref="SharedSemaphore.Dispose"/> only closes this process's view. Pass it to a worker as an argument and it is reopened there by name.
/// </remarks>
public sealed class SharedBoundedSemaphore : SharedSemaphore, Processes.ISharedObject<SharedBoundedSemaphore>
{
    private SharedBoundedSemaphore(Segment segment)
        : base(segment)
    {
    }

    /// <summary>Creates a semaphore with <paramref name="initialCount"/> permits, which is also its maximum (Python's <c>BoundedSemaphore(value)</c>), under a fresh anonymous name.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="initialCount"/> is not positive.</exception>
    public static new SharedBoundedSemaphore Create(int initialCount = 1) => Create(initialCount, initialCount);

    /// <summary>Creates a semaphore named <paramref name="name"/> with <paramref name="initialCount"/> permits, which is also its maximum.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="initialCount"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The name has characters other than letters, digits, '.', '_', '-'.</exception>
    /// <exception cref="IOException">The name is taken.</exception>
    public static new SharedBoundedSemaphore Create(string name, int initialCount) => Create(name, initialCount, initialCount);

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

    /// <summary>Opens the bounded semaphore named <paramref name="name"/>.</summary>
    /// <exception cref="FileNotFoundException">No such name.</exception>
    /// <exception cref="WrongKindException">The name holds another kind of shared object (an unbounded semaphore included).</exception>
    public static new SharedBoundedSemaphore Open(string name) => new(Segment.Open(name, SegmentKind.BoundedSemaphore, SemaphoreCore.LayoutVersion));

    static SharedBoundedSemaphore Processes.ISharedObject<SharedBoundedSemaphore>.OpenShared(string name) => Open(name);

    /// <summary>The most permits the semaphore may hold.</summary>
    public int MaximumCount => _core.Maximum;
}
