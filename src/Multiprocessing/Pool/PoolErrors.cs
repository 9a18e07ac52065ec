namespace Multiprocessing.Pool;

/// <summary>The exceptions a pool call fails with.</summary>
internal static class PoolErrors
{
    /// <summary>A task's exception, as seen by the parent.</summary>
    internal static Exception Remote(string type, string message, string stack, string workerName, int pid) =>
        new InvalidOperationException($"Pool worker '{workerName}' (pid {pid}) failed with {type}: {message}{Environment.NewLine}{stack}");
}
