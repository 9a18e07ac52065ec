namespace Multiprocessing.Queues;

/// <summary>The async waits of <see cref="QueueCore"/> (an async method cannot run in an unsafe context).</summary>
internal sealed partial class QueueCore
{
    internal async ValueTask JoinAsync(CancellationToken ct)
    {
        ThrowIfDisposed();
        AddJoinWaiter();
        try
        {
            while (true)
            {
                int seen = DoneSignal;
                if (Unfinished <= 0)
                {
                    return;
                }

                CheckConsumers(throwIfDead: true);
                if (Unfinished <= 0)
                {
                    return;
                }

                _ = await WatchDoneSignal(seen, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            RemoveJoinWaiter();
        }
    }
}
