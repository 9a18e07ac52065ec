using System.Runtime.CompilerServices;
namespace Multiprocessing.Pool;

/// <summary>A pool channel over a <see cref="SharedQueue{T}"/> of byte messages (one copy in, one copy out).</summary>
internal sealed class QueueChannel : IPoolChannel
{
    private readonly SharedQueue<byte[]> _queue;
    private readonly bool _owner;

    internal QueueChannel(SharedQueue<byte[]> queue, bool owner)
    {
        _queue = queue;
        _owner = owner;
    }

    internal SharedQueue<byte[]> Queue => _queue;

    public bool IsEmpty => _queue.IsEmpty;

    public bool TrySend(ReadOnlySpan<byte> message, TimeSpan timeout) => _queue.TryPutBytes(message, timeout);

    public bool TryReceive(PoolBuffer destination, TimeSpan timeout)
    {
        while (true)
        {
            destination.Clear();
            Span<byte> room = destination.GetSpan(0); // after Clear: the whole buffer
            try
            {
                if (!_queue.TryGetBytes(room, out int written, timeout))
                {
                    return false;
                }

                destination.Advance(written);
                return true;
            }
            catch (ArgumentException)
            {
                // The message is larger than the buffer; it stays in the queue. Grow and take it again.
                destination.Grow(checked(destination.Capacity * 4));
            }
        }
    }

    public void Dispose()
    {
        if (_owner)
        {
            try
            {
                _queue.Unlink();
            }
            catch (InvalidOperationException)
            {
            }
        }

        _queue.Dispose();
    }
}
