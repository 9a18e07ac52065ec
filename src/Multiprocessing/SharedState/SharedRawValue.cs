using Multiprocessing.Internal;

namespace Multiprocessing;

/// <summary>
/// One value of an unmanaged type in shared memory, without a lock: Python's <c>multiprocessing.RawValue</c>.
/// <see cref="Value"/> reads and writes are atomic for 1, 2, 4 and 8-byte types; for integers the lock-free
/// <see cref="Increment"/>, <see cref="Add"/>, <see cref="Exchange"/> and <see cref="CompareExchange"/> are atomic too.
/// The memory layout is that of <see cref="SharedValue{T}"/>, so a value created either way can be opened either way.
/// </summary>
/// <typeparam name="T">An unmanaged type (no references): a number, a bool, a char, or a struct of them.</typeparam>
/// <remarks>
/// The creator owns the name: <see cref="Unlink"/> removes it (it is removed when the creator exits too); <see cref="Dispose"/>
/// only closes this process's view. Pass it to a worker as an argument and it is reopened there by name.
/// </remarks>
public unsafe class SharedRawValue<T> : IDisposable, Processes.ISharedObject<SharedRawValue<T>>
    where T : unmanaged
{
    private protected readonly Segment _segment;
    private readonly T* _value;

    private protected SharedRawValue(Segment segment)
    {
        _segment = segment;
        _value = ElementLayout.Elements<T>(segment);
    }

    /// <summary>Creates a value holding <paramref name="initialValue"/> under a fresh anonymous name.</summary>
    public static SharedRawValue<T> Create(T initialValue = default) => Create(SegmentNames.NewAnonymous("rawvalue"), initialValue);

    /// <summary>Creates a value named <paramref name="name"/> holding <paramref name="initialValue"/>.</summary>
    /// <exception cref="ArgumentException">The name has characters other than letters, digits, '.', '_', '-'.</exception>
    /// <exception cref="IOException">The name is taken.</exception>
    public static SharedRawValue<T> Create(string name, T initialValue) =>
        new(ElementLayout.Create(name, SegmentKind.Value, 1, new ReadOnlySpan<T>(in initialValue)));

    /// <summary>Opens the value named <paramref name="name"/>.</summary>
    /// <exception cref="FileNotFoundException">No such name.</exception>
    /// <exception cref="WrongKindException">The name holds another kind of shared object, or a value of another type.</exception>
    public static SharedRawValue<T> Open(string name) => new(ElementLayout.Open<T>(name, SegmentKind.Value));

    static SharedRawValue<T> Processes.ISharedObject<SharedRawValue<T>>.OpenShared(string name) => Open(name);

    /// <summary>The name other processes open it by.</summary>
    public string Name => _segment.Name;

    /// <summary>True in the process that created the value.</summary>
    public bool IsOwner => _segment.IsCreator;

    /// <summary>The value (an atomic read or write for 1, 2, 4 and 8-byte types).</summary>
    public T Value
    {
        get => ElementLayout.Read(Pointer);
        set => ElementLayout.Write(Pointer, value);
    }

    /// <summary>A reference to the value in shared memory, for in-place changes of a struct (coordinate writers yourself); valid until <see cref="Dispose"/>.</summary>
    public ref T Ref => ref *Pointer;

    /// <summary>Adds one atomically, without the lock, and returns the new value (int, long, uint, ulong).</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is another type.</exception>
    public T Increment() => ElementLayout.Add(Pointer, ElementLayout.One<T>(), Name);

    /// <summary>Subtracts one atomically, without the lock, and returns the new value (int, long, uint, ulong).</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is another type.</exception>
    public T Decrement() => ElementLayout.Add(Pointer, ElementLayout.MinusOne<T>(), Name);

    /// <summary>Adds <paramref name="delta"/> atomically, without the lock, and returns the new value (int, long, uint, ulong).</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is another type.</exception>
    public T Add(T delta) => ElementLayout.Add(Pointer, delta, Name);

    /// <summary>Stores <paramref name="value"/> atomically and returns the value before (int, long, uint, ulong, float, double).</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is another type.</exception>
    public T Exchange(T value) => ElementLayout.Exchange(Pointer, value, Name);

    /// <summary>Stores <paramref name="value"/> if the value is bitwise equal to <paramref name="comparand"/>; returns the value before (int, long, uint, ulong, float, double).</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is another type.</exception>
    public T CompareExchange(T value, T comparand) => ElementLayout.CompareExchange(Pointer, value, comparand, Name);

    /// <summary>Removes the name so no new process can open it; existing views stay valid. Only the creator may unlink.</summary>
    /// <exception cref="InvalidOperationException">This process opened the value rather than creating it.</exception>
    public void Unlink() => _segment.Unlink();

    /// <summary>Closes this process's view. Does not remove the name.</summary>
    public void Dispose()
    {
        _segment.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc/>
    public override string ToString() => _segment.IsClosed ? $"{Serialization.TypeNames.Display(GetType())} '{Name}' (closed)" : $"{Value}";

    private T* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_segment.IsClosed, this);
            return _value;
        }
    }
}
