using Multiprocessing.Internal;

namespace Multiprocessing.Queues;

/// <summary>
/// Copies a message into a caller's span, after skipping its first <paramref name="skip"/> bytes (the tag of a
/// <c>byte[]</c> message, kept in <see cref="Tag"/>); refuses, leaving it in the ring, when the span is too small.
/// </summary>
internal ref struct SpanSink(Span<byte> destination, int skip) : IRecordSink
{
    private readonly Span<byte> _destination = destination;
    private int _skipped;

    /// <summary>The length of the message offered, without the skipped bytes (also when refused).</summary>
    internal long Length { get; private set; }

    internal int Written { get; private set; }

    /// <summary>The first skipped byte, or -1.</summary>
    internal int Tag { get; private set; } = -1;

    public bool Begin(long length)
    {
        Length = Math.Max(0, length - skip);
        Written = 0;
        _skipped = 0;
        return Length <= _destination.Length;
    }

    public void Append(ReadOnlySpan<byte> piece)
    {
        if (_skipped < skip)
        {
            int n = Math.Min(piece.Length, skip - _skipped);
            if (_skipped == 0 && n > 0)
            {
                Tag = piece[0];
            }

            _skipped += n;
            piece = piece[n..];
        }

        piece.CopyTo(_destination[Written..]);
        Written += piece.Length;
    }

    public readonly void End()
    {
    }

    public void Discard()
    {
        Written = 0;
        _skipped = 0;
    }
}
