namespace Multiprocessing.Pool;

/// <summary>
/// Where a pool's workers run and how messages reach them: worker processes over shared-memory queues
/// (<see cref="ProcessPoolBackend"/>), or worker threads over in-memory channels in the unit tests.
/// </summary>
internal interface IPoolBackend : IDisposable
{
    /// <summary>The one queue every worker sends results to; the parent also posts its own notices into it.</summary>
    IPoolChannel Results { get; }

    /// <summary>Creates a worker's task queue (fast), so chunks can be queued while the worker starts.</summary>
    IPoolChannel CreateTaskChannel();

    /// <summary>Starts a worker that reads <paramref name="tasks"/> (slow: may take a process start).</summary>
    IPoolWorkerHandle StartWorker(string name, IPoolChannel tasks);
}
