using System.Buffers.Binary;
using System.Text;

namespace Multiprocessing.Pool;

/// <summary>Reads the fields of one pool frame, checking every length against what is there.</summary>
internal ref struct PoolFrameReader
{
    private readonly ReadOnlySpan<byte> _frame;
    private int _position;

    internal PoolFrameReader(ReadOnlySpan<byte> frame)
    {
        _frame = frame;
        _position = 0;
    }

    internal readonly int Position => _position;

    internal readonly ReadOnlySpan<byte> Remaining => _frame[_position..];

    internal byte ReadByte() => Take(1)[0];

    internal int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    internal long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    internal void Skip(int n) => Take(n);

    internal string? ReadString()
    {
        int n = ReadInt32();
        return n == -1 ? null : Encoding.UTF8.GetString(Take(n));
    }

    internal string ReadRequiredString() => ReadString() ?? throw Corrupt("a missing string");

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n < 0 || n > _frame.Length - _position)
        {
            throw Corrupt($"a field of {n} bytes at offset {_position} of a {_frame.Length}-byte frame");
        }

        ReadOnlySpan<byte> span = _frame.Slice(_position, n);
        _position += n;
        return span;
    }

    /// <summary>
    /// The next frame of a batch message (TaskBatch, ResultBatch: the op, a count, then each frame as an int length and its
    /// bytes) at <paramref name="position"/>, which moves past it. <paramref name="what"/> names the frames in errors.
    /// </summary>
    internal static ReadOnlyMemory<byte> NextInBatch(ReadOnlyMemory<byte> batch, ref int position, int index, int count, string what)
    {
        PoolFrameReader lengthReader = new(batch.Span[position..]);
        int length = lengthReader.ReadInt32();
        if (length <= 0 || length > batch.Length - position - 4)
        {
            throw Corrupt($"{what} {index} of a batch of {count} claims {length} bytes");
        }

        ReadOnlyMemory<byte> frame = batch.Slice(position + 4, length);
        position += 4 + length;
        return frame;
    }

    internal static InvalidDataException Corrupt(string what) =>
        new($"A process pool message is corrupt ({what}); the pool's queues were written by something other than this library's pool.");
}
