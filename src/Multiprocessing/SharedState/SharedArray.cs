using Multiprocessing.Internal;

namespace Multiprocessing;

/// <summary>
/// A fixed-length array of an unmanaged type in shared memory, with a lock: Python's <c>multiprocessing.Array</c>.
/// Elements are read and written in place (<c>a[i] = x</c>, or through <see cref="SharedRawArray{T}.Span"/>); nothing is copied or
/// serialised. Element reads and writes are plain memory accesses: guard compound changes with <see cref="Lock"/>
/// (Python's <c>get_lock()</c>).
/// </summary>
/// <typeparam name="T">An unmanaged type (no references): a number, a bool, a char, or a struct of them.</typeparam>
/// <remarks>
/// The lock is a <see cref="SharedLock"/> in the array's own segment, so it notices a dead owner. The creator owns the
/// name: <see cref="SharedRawArray{T}.Unlink"/> removes it (it is removed when the creator exits too); <see cref="SharedRawArray{T}.Dispose"/> only closes
/// this process's view. Pass it to a worker as an argument and it is reopened there by name.
/// </remarks>
public sealed class SharedArray<T> : SharedRawArray<T>, Processes.ISharedObject<SharedArray<T>>
    where T : unmanaged
{
    private SharedArray(Segment segment)
        : base(segment) => Lock = SharedLock.Embedded(segment);

    /// <summary>Creates a zero-filled array of <paramref name="length"/> elements under a fresh anonymous name.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    public static new SharedArray<T> Create(int length) => Create(SegmentNames.NewAnonymous("array"), length);

    /// <summary>Creates a zero-filled array named <paramref name="name"/> of <paramref name="length"/> elements.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    /// <exception cref="ArgumentException">The name has characters other than letters, digits, '.', '_', '-'.</exception>
    /// <exception cref="IOException">The name is taken.</exception>
    public static new SharedArray<T> Create(string name, int length) => new(ElementLayout.Create<T>(name, SegmentKind.Array, length, default));

    /// <summary>Creates an array holding a copy of <paramref name="values"/> under a fresh anonymous name.</summary>
    public static new SharedArray<T> Create(ReadOnlySpan<T> values) => Create(SegmentNames.NewAnonymous("array"), values);

    /// <summary>Creates an array named <paramref name="name"/> holding a copy of <paramref name="values"/>.</summary>
    /// <exception cref="ArgumentException">The name has characters other than letters, digits, '.', '_', '-'.</exception>
    /// <exception cref="IOException">The name is taken.</exception>
    public static new SharedArray<T> Create(string name, ReadOnlySpan<T> values) =>
        new(ElementLayout.Create(name, SegmentKind.Array, values.Length, values));

    /// <summary>Opens the array named <paramref name="name"/>.</summary>
    /// <exception cref="FileNotFoundException">No such name.</exception>
    /// <exception cref="WrongKindException">The name holds another kind of shared object, or an array of another type.</exception>
    public static new SharedArray<T> Open(string name) => new(ElementLayout.Open<T>(name, SegmentKind.Array));

    static SharedArray<T> Processes.ISharedObject<SharedArray<T>>.OpenShared(string name) => Open(name);

    /// <summary>The lock that guards the array (Python's <c>get_lock()</c>); it lives in the array's segment.</summary>
    public SharedLock Lock { get; }
}
