using Multiprocessing.Internal;

namespace Multiprocessing;

/// <summary>
/// A block of raw shared memory, Python's <c>multiprocessing.shared_memory.SharedMemory</c>. The creator owns the
/// name: <see cref="Unlink"/> removes it (and it is removed when the creator exits); <see cref="Dispose"/> only closes
/// this process's view. Pass it to a worker as an argument and it is reopened there by name.
/// </summary>
public sealed unsafe class SharedMemoryBlock : IDisposable, Processes.ISharedObject<SharedMemoryBlock>
{
    private const int LayoutVersion = 1;
    private readonly Segment _segment;

    private SharedMemoryBlock(Segment segment) => _segment = segment;

    /// <summary>Creates a zero-filled block of <paramref name="size"/> bytes under a fresh anonymous name.</summary>
    public static SharedMemoryBlock Create(long size) => Create(SegmentNames.NewAnonymous("block"), size);

    /// <summary>Creates a zero-filled block of <paramref name="size"/> bytes named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The name has characters other than letters, digits, '.', '_', '-'.</exception>
    /// <exception cref="IOException">The name is taken.</exception>
    public static SharedMemoryBlock Create(string name, long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        Segment s = Segment.Create(name, SegmentKind.MemoryBlock, LayoutVersion, size, populate: size <= 64L << 20);
        s.Publish();
        return new SharedMemoryBlock(s);
    }

    /// <summary>Opens the block named <paramref name="name"/>.</summary>
    /// <exception cref="FileNotFoundException">No such name.</exception>
    /// <exception cref="WrongKindException">The name holds another kind of shared object.</exception>
    public static SharedMemoryBlock Open(string name) => new(Segment.Open(name, SegmentKind.MemoryBlock, LayoutVersion));

    static SharedMemoryBlock Processes.ISharedObject<SharedMemoryBlock>.OpenShared(string name) => Open(name);

    /// <summary>The name other processes open it by.</summary>
    public string Name => _segment.Name;

    /// <summary>The size in bytes.</summary>
    public long Length => _segment.DataLength;

    /// <summary>True in the process that created the block.</summary>
    public bool IsOwner => _segment.IsCreator;

    /// <summary>The whole block (at most 2 GiB; use <see cref="GetSpan"/> for larger blocks).</summary>
    public Span<byte> Span
    {
        get
        {
            ThrowIfDisposed();
            return Length <= int.MaxValue
                ? new Span<byte>(_segment.Data, (int)Length)
                : throw new InvalidOperationException($"The block '{Name}' is {Length} bytes, more than a Span can hold; use GetSpan(offset, length).");
        }
    }

    /// <summary>A window of <paramref name="length"/> bytes at <paramref name="offset"/>.</summary>
    public Span<byte> GetSpan(long offset, int length)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + length, Length, nameof(length));
        return new Span<byte>(_segment.Data + offset, length);
    }

    /// <summary>Removes the name so no new process can open it; existing views stay valid. Only the creator may unlink.</summary>
    /// <exception cref="InvalidOperationException">This process opened the block rather than creating it.</exception>
    public void Unlink() => _segment.Unlink();

    /// <summary>Closes this process's view. Does not remove the name: the creator calls <see cref="Unlink"/> for that.</summary>
    public void Dispose() => _segment.Dispose();

    internal Segment Segment => _segment;

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_segment.IsClosed, this);
}
