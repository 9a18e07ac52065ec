using System.Runtime.InteropServices;
using Multiprocessing.Internal;

namespace Multiprocessing;

/// <summary>
/// The segment behind <see cref="SharedSemaphore"/> and <see cref="SharedBoundedSemaphore"/>: a
/// <see cref="CountingSemaphore"/> followed by its maximum count (<see cref="int.MaxValue"/> when unbounded).
/// </summary>
internal sealed class SemaphoreCore : IDisposable
{
    internal const int LayoutVersion = 1;

    [StructLayout(LayoutKind.Explicit, Size = 16)]
    private struct Layout
    {
        [FieldOffset(0)] internal CountingSemaphore Semaphore;
        [FieldOffset(8)] internal int Maximum;
    }

    private readonly Segment _segment;
    private readonly object _owner;

    private SemaphoreCore(Segment segment, object owner)
    {
        _segment = segment;
        _owner = owner;
    }

    internal static unsafe Segment CreateSegment(string name, SegmentKind kind, int initialCount, int maximumCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maximumCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(initialCount, maximumCount);
        Segment s = Segment.Create(name, kind, LayoutVersion, sizeof(Layout));
        Layout* l = (Layout*)s.Data;
        l->Semaphore.Count = initialCount;
        l->Maximum = maximumCount;
        s.Publish();
        return s;
    }

    internal static SemaphoreCore Attach(Segment segment, object owner) => new(segment, owner);

    internal string Name => _segment.Name;

    internal bool IsCreator => _segment.IsCreator;

    internal unsafe int CurrentCount
    {
        get
        {
            ThrowIfDisposed();
            return Volatile.Read(ref Sem->Count);
        }
    }

    internal unsafe int Maximum
    {
        get
        {
            ThrowIfDisposed();
            return ((Layout*)_segment.Data)->Maximum;
        }
    }

    private unsafe CountingSemaphore* Sem => &((Layout*)_segment.Data)->Semaphore;

    internal unsafe bool TryAcquire(TimeSpan timeout, CancellationToken ct)
    {
        Deadline deadline = Deadline.After(timeout);
        ThrowIfDisposed();
        if (CountingSemaphore.TryTake(Sem))
        {
            return true;
        }

        using MappingLease lease = MappingLease.Take(_segment);
        return CountingSemaphore.Take(Sem, deadline, ct);
    }

    internal unsafe ValueTask<bool> TryAcquireAsync(TimeSpan timeout, CancellationToken ct)
    {
        Deadline deadline = Deadline.After(timeout);
        ThrowIfDisposed();
        return CountingSemaphore.TryTake(Sem) ? new ValueTask<bool>(true) : new ValueTask<bool>(AcquireSlowAsync(deadline, ct));
    }

    /// <summary>Adds <paramref name="releaseCount"/> permits; returns the count before.</summary>
    internal unsafe int Release(int releaseCount, string typeName)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(releaseCount);
        ThrowIfDisposed();
        int before = CountingSemaphore.TryRelease(Sem, releaseCount, Maximum);
        return before >= 0
            ? before
            : throw new SemaphoreFullException(
                $"Releasing the {typeName} '{Name}' {releaseCount} time(s) would take it above its maximum count of {Maximum}; release only permits you acquired.");
    }

    internal void Unlink() => _segment.Unlink();

    public void Dispose() => _segment.Dispose();

    private async Task<bool> AcquireSlowAsync(Deadline deadline, CancellationToken ct)
    {
        while (!TryTake())
        {
            if (!await Watch(deadline, ct).ConfigureAwait(false))
            {
                return TryTake();
            }
        }

        return true;
    }

    private unsafe bool TryTake()
    {
        ThrowIfDisposed();
        return CountingSemaphore.TryTake(Sem);
    }

    private unsafe Task<bool> Watch(Deadline deadline, CancellationToken ct) =>
        FutexWatcher.WaitAsync(&Sem->Count, 0, deadline, _segment.Mapping, ct, &Sem->Waiters);

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_segment.IsClosed, _owner);
}
