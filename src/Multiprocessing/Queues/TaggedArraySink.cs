using Multiprocessing.Internal;

namespace Multiprocessing.Queues;

/// <summary>
/// Reads a <c>byte[]</c> message (a tag byte, 0 for null or 1, then the bytes) straight into an array of the exact
/// size: one allocation, one copy, also for a 1 GiB message streamed in chunks.
/// </summary>
internal struct TaggedArraySink : IRecordSink
{
    internal byte[]? Result;
    internal int Tag;
    internal long Length;
    private long _written;

    public bool Begin(long length)
    {
        if (length - 1 > Array.MaxLength)
        {
            throw new InvalidOperationException($"A message of {length} bytes is larger than a .NET array can hold; read it with GetBytes into a span.");
        }

        Length = length;
        _written = 0;
        Tag = -1;
        Result = length <= 1 ? [] : new byte[length - 1];
        return true;
    }

    public void Append(ReadOnlySpan<byte> piece)
    {
        if (piece.IsEmpty)
        {
            return;
        }

        if (_written == 0)
        {
            Tag = piece[0];
            piece = piece[1..];
            _written = 1;
        }

        piece.CopyTo(Result.AsSpan((int)(_written - 1)));
        _written += piece.Length;
    }

    public readonly void End()
    {
    }

    public void Discard() => _written = 0;
}
