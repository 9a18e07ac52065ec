using System.Buffers;

namespace Multiprocessing.Internal;

/// <summary>
/// A received message in an array rented from <see cref="ArrayPool{T}.Shared"/>: <see cref="Memory"/> is exactly the
/// message; <see cref="Dispose"/> gives the array back (once; later calls do nothing). Large messages received this way
/// cost no garbage collection, unlike a fresh array per message (arrays of 85 000 bytes or more are collected with
/// generation 2: measured here, allocating and filling fresh 1 MiB arrays alone ran at about 3 GB/s).
/// </summary>
internal sealed class RentedBytes : IMemoryOwner<byte>
{
    private readonly int _offset;
    private readonly int _length;
    private byte[]? _array;

    private RentedBytes(byte[] array, int offset, int length)
    {
        _array = array;
        _offset = offset;
        _length = length;
    }

    /// <summary>Rents room for <paramref name="length"/> bytes.</summary>
    internal static RentedBytes Rent(int length) => new(ArrayPool<byte>.Shared.Rent(Math.Max(length, 1)), 0, length);

    /// <summary>Takes over an array already rented from the shared pool, of which the message is [offset, offset + length).</summary>
    internal static RentedBytes Adopt(byte[] rented, int offset, int length) => new(rented, offset, length);

    /// <summary>The message's bytes, to fill before handing the owner out.</summary>
    internal Span<byte> Span => (_array ?? throw Disposed()).AsSpan(_offset, _length);

    /// <inheritdoc/>
    public Memory<byte> Memory => (_array ?? throw Disposed()).AsMemory(_offset, _length);

    /// <summary>Gives the array back to the pool; the memory must not be used afterwards.</summary>
    public void Dispose()
    {
        byte[]? array = Interlocked.Exchange(ref _array, null);
        if (array is not null)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    private static ObjectDisposedException Disposed() =>
        new(nameof(RentedBytes), "This received message was disposed and its buffer went back to the pool; read it before disposing it.");
}
