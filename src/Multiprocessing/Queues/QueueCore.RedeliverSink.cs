using Multiprocessing.Internal;

namespace Multiprocessing.Queues;

/// <summary>Part of <see cref="QueueCore"/>.</summary>
internal sealed partial class QueueCore
{
    /// <summary>Reads a stashed task and, before it leaves the stash, puts it back on the queue.</summary>
    private struct RedeliverSink(SharedRing ring) : IRecordSink
    {
        internal PooledSink Inner;

        public bool Begin(long length) => Inner.Begin(length);

        public void Append(ReadOnlySpan<byte> piece) => Inner.Append(piece);

        public void End() => _ = ring.Write(Inner.Span, Deadline.Infinite, default);

        public void Discard() => Inner.Discard();
    }
}
