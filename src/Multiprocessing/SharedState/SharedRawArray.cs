using Multiprocessing.Internal;

namespace Multiprocessing;

/// <summary>
/// A fixed-length array of an unmanaged type in shared memory, without a lock: Python's <c>multiprocessing.RawArray</c>.
/// Elements are read and written in place (<c>a[i] = x</c>, or through <see cref="Span"/>). The memory layout is that of
/// <see cref="SharedArray{T}"/>, so an array created either way can be opened either way.
/// </summary>
/// <typeparam name="T">An unmanaged type (no references): a number, a bool, a char, or a struct of them.</typeparam>
/// <remarks>
/// The creator owns the name: <see cref="Unlink"/> removes it (it is removed when the creator exits too); <see cref="Dispose"/>
/// only closes this process's view. Pass it to a worker as an argument and it is reopened there by name.
/// </remarks>
public unsafe class SharedRawArray<T> : IDisposable, Processes.ISharedObject<SharedRawArray<T>>
    where T : unmanaged
{
    private protected readonly Segment _segment;
    private readonly T* _items;

    private protected SharedRawArray(Segment segment)
    {
        _segment = segment;
        _items = ElementLayout.Elements<T>(segment);
        Length = checked((int)ElementLayout.Count(segment));
    }

    /// <summary>Creates a zero-filled array of <paramref name="length"/> elements under a fresh anonymous name.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    public static SharedRawArray<T> Create(int length) => Create(SegmentNames.NewAnonymous("rawarray"), length);

    /// <summary>Creates a zero-filled array named <paramref name="name"/> of <paramref name="length"/> elements.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    /// <exception cref="ArgumentException">The name has characters other than letters, digits, '.', '_', '-'.</exception>
    /// <exception cref="IOException">The name is taken.</exception>
    public static SharedRawArray<T> Create(string name, int length) => new(ElementLayout.Create<T>(name, SegmentKind.Array, length, default));

    /// <summary>Creates an array holding a copy of <paramref name="values"/> under a fresh anonymous name.</summary>
    public static SharedRawArray<T> Create(ReadOnlySpan<T> values) => Create(SegmentNames.NewAnonymous("rawarray"), values);

    /// <summary>Creates an array named <paramref name="name"/> holding a copy of <paramref name="values"/>.</summary>
    /// <exception cref="ArgumentException">The name has characters other than letters, digits, '.', '_', '-'.</exception>
    /// <exception cref="IOException">The name is taken.</exception>
    public static SharedRawArray<T> Create(string name, ReadOnlySpan<T> values) =>
        new(ElementLayout.Create(name, SegmentKind.Array, values.Length, values));

    /// <summary>Opens the array named <paramref name="name"/>.</summary>
    /// <exception cref="FileNotFoundException">No such name.</exception>
    /// <exception cref="WrongKindException">The name holds another kind of shared object, or an array of another type.</exception>
    public static SharedRawArray<T> Open(string name) => new(ElementLayout.Open<T>(name, SegmentKind.Array));

    static SharedRawArray<T> Processes.ISharedObject<SharedRawArray<T>>.OpenShared(string name) => Open(name);

    /// <summary>The name other processes open it by.</summary>
    public string Name => _segment.Name;

    /// <summary>True in the process that created the array.</summary>
    public bool IsOwner => _segment.IsCreator;

    /// <summary>The number of elements.</summary>
    public int Length { get; }

    /// <summary>The element at <paramref name="index"/>, in shared memory.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative or not below <see cref="Length"/>.</exception>
    public ref T this[int index]
    {
        get
        {
            T* items = Items;
            if ((uint)index >= (uint)Length)
            {
                ThrowIndex(index);
            }

            return ref items[index];
        }
    }

    /// <summary>All elements, in shared memory; valid until <see cref="Dispose"/>.</summary>
    public Span<T> Span => new(Items, Length);

    /// <summary>Copies <paramref name="source"/> into the array from <paramref name="index"/> on.</summary>
    /// <exception cref="ArgumentOutOfRangeException">It does not fit.</exception>
    public void CopyFrom(ReadOnlySpan<T> source, int index = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(source.Length, Length - Math.Min(index, Length), nameof(source));
        source.CopyTo(Span[index..]);
    }

    /// <summary>Copies the elements from <paramref name="index"/> on into <paramref name="destination"/> (as many as it holds).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="destination"/> is longer than the elements left.</exception>
    public void CopyTo(Span<T> destination, int index = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(destination.Length, Length - Math.Min(index, Length), nameof(destination));
        Span.Slice(index, destination.Length).CopyTo(destination);
    }

    /// <summary>A copy of all elements.</summary>
    public T[] ToArray() => Span.ToArray();

    /// <summary>Removes the name so no new process can open it; existing views stay valid. Only the creator may unlink.</summary>
    /// <exception cref="InvalidOperationException">This process opened the array rather than creating it.</exception>
    public void Unlink() => _segment.Unlink();

    /// <summary>Closes this process's view. Does not remove the name.</summary>
    public void Dispose()
    {
        _segment.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        _segment.IsClosed ? $"{Serialization.TypeNames.Display(GetType())} '{Name}' (closed)" : "[" + string.Join(", ", ToArray()) + "]";

    private T* Items
    {
        get
        {
            ObjectDisposedException.ThrowIf(_segment.IsClosed, this);
            return _items;
        }
    }

    private void ThrowIndex(int index) =>
        throw new ArgumentOutOfRangeException(nameof(index), index, $"Index {index} is outside the {Serialization.TypeNames.Display(GetType())} '{Name}' of length {Length}.");
}
