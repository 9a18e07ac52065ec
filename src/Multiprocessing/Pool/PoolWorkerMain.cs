namespace Multiprocessing.Pool;

/// <summary>The target a pool worker process runs: its two queues arrive by name.</summary>
internal static class PoolWorkerMain
{
    /// <summary>Runs the worker loop on <paramref name="tasks"/> and <paramref name="results"/> until told to stop.</summary>
    internal static void Run(SharedQueue<byte[]> tasks, SharedQueue<byte[]> results)
    {
        using QueueChannel t = new(tasks, owner: false);
        using QueueChannel r = new(results, owner: false);
        PoolWorkerLoop.Run(t, r);
    }
}
