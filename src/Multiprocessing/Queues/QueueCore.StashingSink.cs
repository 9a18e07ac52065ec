using Multiprocessing.Internal;

namespace Multiprocessing.Queues;

/// <summary>Part of <see cref="QueueCore"/>.</summary>
internal sealed partial class QueueCore
{
    /// <summary>Reads a message into a pooled buffer and, before it leaves the ring, copies it into the consumer's stash.</summary>
    private struct StashingSink(SharedRing stash, string name) : IRecordSink
    {
        internal PooledSink Inner;

        public bool Begin(long length)
        {
            long need = SharedRing.RecordHeaderSize + ((length + 7) & ~7L);
            if (length > stash.MaxWholePayload || (long)(stash.Tail - stash.Head) + need > stash.Capacity)
            {
                throw new InvalidOperationException(
                    $"This process holds too many unfinished tasks of the at-least-once queue '{name}' to take another; call TaskDone for the tasks it has, or create the queue with a larger InFlightBytesPerConsumer.");
            }

            return Inner.Begin(length);
        }

        public void Append(ReadOnlySpan<byte> piece) => Inner.Append(piece);

        public void End() => _ = stash.Write(Inner.Span, Deadline.Infinite, default);

        public void Discard() => Inner.Discard();
    }
}
