using Multiprocessing.Internal;

namespace Multiprocessing.Queues;

/// <summary>Part of <see cref="QueueCore"/>.</summary>
internal sealed partial class QueueCore
{
    /// <summary>Drops a message.</summary>
    private struct SkipSink : IRecordSink
    {
        public readonly bool Begin(long length) => true;

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
}
