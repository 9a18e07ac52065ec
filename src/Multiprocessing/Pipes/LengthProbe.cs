using Multiprocessing.Internal;

namespace Multiprocessing.Pipes;

/// <summary>
/// A record sink that refuses every message after noting its length: <see cref="SharedRing.TryRead{TSink}"/> with it
/// peeks at the next message (skipping what is not one) and consumes nothing.
/// </summary>
internal struct LengthProbe : IRecordSink
{
    /// <summary>The length of the message the ring offered, or -1 if none.</summary>
    internal long Length;

    public bool Begin(long length)
    {
        Length = length;
        return false;
    }

    public readonly void Append(ReadOnlySpan<byte> piece)
    {
    }

    public readonly void End()
    {
    }

    public readonly void Discard()
    {
    }
}
