using System.Buffers;
using Multiprocessing.Internal;

namespace Multiprocessing.Queues;

/// <summary>Copies a message into an array rented from the shared pool; the caller returns it with <see cref="Return"/>.</summary>
internal struct PooledSink : IRecordSink
{
    internal byte[]? Buffer;
    internal int Length;
    private int _written;

    public bool Begin(long length)
    {
        if (length > Array.MaxLength)
        {
            throw new InvalidOperationException($"A message of {length} bytes is larger than a .NET array can hold; read it with a span of your own.");
        }

        if (Buffer is null || Buffer.Length < length)
        {
            Return();
            Buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(length, 1));
        }

        Length = (int)length;
        _written = 0;
        return true;
    }

    public void Append(ReadOnlySpan<byte> piece)
    {
        piece.CopyTo(Buffer.AsSpan(_written));
        _written += piece.Length;
    }

    public readonly void End()
    {
    }

    public void Discard() => _written = 0;

    internal readonly ReadOnlySpan<byte> Span => Buffer.AsSpan(0, Length);

    internal readonly ReadOnlySequence<byte> Sequence => new(Buffer!, 0, Length);

    internal void Return()
    {
        if (Buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
            Buffer = null;
        }
    }
}
