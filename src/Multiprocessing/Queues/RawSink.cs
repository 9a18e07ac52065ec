using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Multiprocessing.Internal;

namespace Multiprocessing.Queues;

/// <summary>Copies a message straight into a value of a reference-free type: the one copy out, no allocation.</summary>
internal struct RawSink<T> : IRecordSink
{
    internal T Value;
    internal long Length;
    private int _written;

    public bool Begin(long length)
    {
        Length = length;
        _written = 0;
        return true;
    }

    public void Append(ReadOnlySpan<byte> piece)
    {
        int size = Unsafe.SizeOf<T>();
        Span<byte> target = MemoryMarshal.CreateSpan(ref Unsafe.As<T, byte>(ref Value), size);
        int n = Math.Min(piece.Length, size - _written);
        if (n > 0)
        {
            piece[..n].CopyTo(target[_written..]);
        }

        _written += piece.Length;
    }

    public readonly void End()
    {
    }

    public void Discard() => _written = 0;

    /// <summary>True when the message had exactly the size of <typeparamref name="T"/>.</summary>
    internal readonly bool IsExact => Length == Unsafe.SizeOf<T>();
}
