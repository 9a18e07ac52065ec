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

    internal static InvalidDataException Corrupt(string what) =>
        new($"A process pool message is corrupt ({what}); the pool's queues were written by something other than this library's pool.");
}
