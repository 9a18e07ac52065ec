namespace Multiprocessing.Pool;

/// <summary>The exceptions a pool call fails with.</summary>
internal static class PoolErrors
{
    /// <summary>A task's exception, as seen by the parent: the worker's exception type, message and stack.</summary>
    internal static WorkerException Remote(string type, string message, string stack, string workerName, int pid) =>
        new(type, message, stack, workerName, pid);
}
