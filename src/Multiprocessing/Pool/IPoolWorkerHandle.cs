namespace Multiprocessing.Pool;

/// <summary>A started pool worker, as the pool sees it.</summary>
internal interface IPoolWorkerHandle : IDisposable
{
    /// <summary>The worker's process id.</summary>
    int Pid { get; }

    /// <summary>Completes when the worker is gone, with its exit code (negative: killed by that signal; null: unknown).</summary>
    Task<int?> Exited { get; }

    /// <summary>The exception the worker process died of (not a task's: those are reported per task), or null.</summary>
    WorkerException? Failure { get; }

    /// <summary>Kills the worker at once (SIGKILL).</summary>
    void Kill();
}
