namespace Multiprocessing;

/// <summary>How a <see cref="ProcessPool"/> runs its workers (Python's <c>Pool(processes, initializer, initargs, maxtasksperchild)</c>).</summary>
public sealed class ProcessPoolOptions
{
    /// <summary>How many worker processes. The default is <see cref="Environment.ProcessorCount"/>.</summary>
    public int WorkerCount { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// A static method or static lambda each worker runs once, before its first task (Python's <c>initializer</c>);
    /// state it stores in static fields is visible to the tasks that worker runs. The default is none. If it throws,
    /// the pool stops: pending and later calls fail with an exception that carries the worker's exception.
    /// </summary>
    public Delegate? Initializer { get; init; }

    /// <summary>The arguments passed to <see cref="Initializer"/> (Python's <c>initargs</c>). The default is none.</summary>
    public IReadOnlyList<object?> InitializerArguments { get; init; } = [];

    /// <summary>
    /// Replace a worker with a fresh process after it has run this many tasks (Python's <c>maxtasksperchild</c>;
    /// as there, one chunk of a Map counts as one task). The default, 0, keeps workers for the pool's lifetime.
    /// </summary>
    public int MaxTasksPerChild { get; init; }

    /// <summary>
    /// The chunk size of <see cref="ProcessPool.Map{T, TResult}"/> and Starmap when a call does not give one. The
    /// default, 0, is CPython's automatic size: the items divided by four times the worker count, rounded up.
    /// </summary>
    public int ChunkSize { get; init; }

    /// <summary>
    /// How many times a chunk lost with a crashed worker is run again on another worker before its tasks fail with
    /// <see cref="WorkerCrashedException"/>. The default, 0, fails them at once (the function may not be safe to repeat).
    /// </summary>
    public int CrashRetries { get; init; }

    /// <summary>
    /// Worker processes started ahead of time (see <see cref="WorkerStandby"/>, CPython's forkserver): the pool takes
    /// its workers, replacements and recycled workers from it when one is ready, so they cost a hand-off instead of a
    /// process start. The pool does not dispose it. The default is none: each worker is a fresh process.
    /// </summary>
    public WorkerStandby? Standby { get; init; }

    /// <summary>The prefix of worker names: workers are named "Prefix-1", "Prefix-2"… The default is "PoolWorker".</summary>
    public string WorkerNamePrefix { get; init; } = "PoolWorker";
}
