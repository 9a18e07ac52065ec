using System.Runtime.CompilerServices;
using Multiprocessing.Internal;

namespace Multiprocessing.Pipes;

/// <summary>
/// Copies the next message of a <see cref="SharedRing"/> into a caller's span; refuses (consuming nothing) a message
/// longer than the span, and any message after one its producer abandoned (the pipe then reads end-of-stream).
/// </summary>
internal ref struct SpanRecordSink : IRecordSink
{
    private readonly Span<byte> _destination;
    private int _written;

    internal SpanRecordSink(Span<byte> destination) => _destination = destination;

    /// <summary>The length of the message offered (taken, or refused as too long).</summary>
    internal long Length { get; private set; }

    /// <summary>True if a streamed message was cut short because its producer went away.</summary>
    internal bool Discarded { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Begin(long length)
    {
        Length = length;
        _written = 0;
        return !Discarded && length <= _destination.Length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Append(ReadOnlySpan<byte> piece)
    {
        ByteCopy.Copy(piece, _destination[_written..]);
        _written += piece.Length;
    }

    public readonly void End()
    {
    }

    public void Discard()
    {
        Discarded = true;
        _written = 0;
    }
}
