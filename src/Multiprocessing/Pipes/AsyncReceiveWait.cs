using Multiprocessing.Internal;

namespace Multiprocessing.Pipes;

/// <summary>
/// The async wait of a shared-memory pipe end: checks without blocking, then lets the process's futex watcher thread
/// sleep on the ring's word (no thread-pool thread parked per waiter), in 50 ms slices so a dead peer is noticed.
/// </summary>
internal static class AsyncReceiveWait
{
    internal static async ValueTask<int> Run(ShmPipeTransport transport, CancellationToken ct)
    {
        while (true)
        {
            int length = transport.WaitMessage(Deadline.After(TimeSpan.Zero), ct);
            if (length >= 0)
            {
                return length;
            }

            Task<bool> wait = transport.BeginAsyncWait(ct);
            try
            {
                _ = await wait.ConfigureAwait(false);
            }
            finally
            {
                transport.EndWait();
            }
        }
    }
}
