using Multiprocessing.Internal;

namespace Multiprocessing;

/// <summary>
/// One value of an unmanaged type in shared memory, with a lock: Python's <c>multiprocessing.Value</c>.
/// <see cref="SharedRawValue{T}.Value"/> reads and writes are atomic for 1, 2, 4 and 8-byte types; a read-modify-write such as
/// <c>v.Value += 1</c> is not, so do it under <see cref="Lock"/> (Python's <c>get_lock()</c>), or, for integers, use
/// the lock-free <see cref="SharedRawValue{T}.Increment"/>, <see cref="SharedRawValue{T}.Add"/>, <see cref="SharedRawValue{T}.Exchange"/> and <see cref="SharedRawValue{T}.CompareExchange"/>.
/// </summary>
/// <typeparam name="T">An unmanaged type (no references): a number, a bool, a char, or a struct of them.</typeparam>
/// <remarks>
/// The lock is a <see cref="SharedLock"/> in the value's own segment, so it notices a dead owner. The creator owns the
/// name: <see cref="SharedRawValue{T}.Unlink"/> removes it (it is removed when the creator exits too); <see cref="SharedRawValue{T}.Dispose"/> only closes
/// this process's view. Pass it to a worker as an argument and it is reopened there by name.
/// </remarks>
public sealed class SharedValue<T> : SharedRawValue<T>, Processes.ISharedObject<SharedValue<T>>
    where T : unmanaged
{
    private SharedValue(Segment segment)
        : base(segment) => Lock = SharedLock.Embedded(segment);

    /// <summary>Creates a value holding <paramref name="initialValue"/> under a fresh anonymous name.</summary>
    public static new SharedValue<T> Create(T initialValue = default) => Create(SegmentNames.NewAnonymous("value"), initialValue);

    /// <summary>Creates a value named <paramref name="name"/> holding <paramref name="initialValue"/>.</summary>
    /// <exception cref="ArgumentException">The name has characters other than letters, digits, '.', '_', '-'.</exception>
    /// <exception cref="IOException">The name is taken.</exception>
    public static new SharedValue<T> Create(string name, T initialValue) =>
        new(ElementLayout.Create(name, SegmentKind.Value, 1, new ReadOnlySpan<T>(in initialValue)));

    /// <summary>Opens the value named <paramref name="name"/>.</summary>
    /// <exception cref="FileNotFoundException">No such name.</exception>
    /// <exception cref="WrongKindException">The name holds another kind of shared object, or a value of another type.</exception>
    public static new SharedValue<T> Open(string name) => new(ElementLayout.Open<T>(name, SegmentKind.Value));

    static SharedValue<T> Processes.ISharedObject<SharedValue<T>>.OpenShared(string name) => Open(name);

    /// <summary>The lock that guards the value (Python's <c>get_lock()</c>); it lives in the value's segment.</summary>
    public SharedLock Lock { get; }
}
