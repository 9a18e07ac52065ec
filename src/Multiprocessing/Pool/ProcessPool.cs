using System.Runtime.CompilerServices;
using Multiprocessing.Pool;

namespace Multiprocessing;

/// <summary>
/// A pool of worker processes (Python's <c>multiprocessing.Pool</c>, <c>concurrent.futures.ProcessPoolExecutor</c>).
/// Workers start at once, in parallel, and stay warm; tasks and results travel through shared-memory queues.
/// Functions follow the worker rules: a static method or a <c>static</c> lambda; a lambda that captures variables
/// is refused with <see cref="ArgumentException"/>. A task's exception fails its call with a
/// <see cref="WorkerException"/> carrying the remote type, message and stack. A worker that dies (killed, crashed)
/// fails exactly the tasks it held with <see cref="WorkerCrashedException"/> (or they are retried:
/// <see cref="ProcessPoolOptions.CrashRetries"/>), a replacement starts, and the rest of the work completes: no call
/// ever hangs because a worker died.
/// </summary>
/// <example>
/// <code>
/// using var pool = new ProcessPool(2);
/// List&lt;int&gt; squares = pool.Map(static (int x) =&gt; x * x, Enumerable.Range(0, 1000));
/// </code>
/// </example>
public sealed class ProcessPool : IDisposable, IAsyncDisposable
{
    private readonly ProcessPoolOptions _options;
    private readonly PoolCore _core;
    private int _disposed;

    /// <summary>Starts a pool of <see cref="Environment.ProcessorCount"/> workers.</summary>
    public ProcessPool()
        : this(new ProcessPoolOptions())
    {
    }

    /// <summary>Starts a pool of <paramref name="workerCount"/> workers.</summary>
    public ProcessPool(int workerCount)
        : this(new ProcessPoolOptions { WorkerCount = workerCount })
    {
    }

    /// <summary>Starts a pool as <paramref name="options"/> say. Returns at once: the workers start in parallel meanwhile.</summary>
    /// <exception cref="ArgumentException">Bad options, or an initializer that cannot run in another process.</exception>
    public ProcessPool(ProcessPoolOptions options)
        : this(options, null)
    {
    }

    internal ProcessPool(ProcessPoolOptions options, IPoolBackend? backend)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.WorkerCount, nameof(options.WorkerCount));
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxTasksPerChild, nameof(options.MaxTasksPerChild));
        ArgumentOutOfRangeException.ThrowIfNegative(options.ChunkSize, nameof(options.ChunkSize));
        ArgumentOutOfRangeException.ThrowIfNegative(options.CrashRetries, nameof(options.CrashRetries));
        ArgumentNullException.ThrowIfNull(options.InitializerArguments, nameof(options.InitializerArguments));
        _options = options;
        backend ??= new ProcessPoolBackend(options.Standby);
        try
        {
            _core = new PoolCore(backend, options);
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }

    /// <summary>How many workers the pool keeps.</summary>
    public int WorkerCount => _core.WorkerCount;

    /// <summary>The process ids of the current workers, one per worker place (0 for a worker still starting).</summary>
    public IReadOnlyList<int> WorkerPids => _core.WorkerPids();

    /// <summary>
    /// Applies <paramref name="function"/> to every item in worker processes and returns the results in order
    /// (Python's <c>Pool.map</c>). Items go to workers in chunks of <paramref name="chunkSize"/>; 0 means
    /// <see cref="ProcessPoolOptions.ChunkSize"/>, or CPython's automatic size (items / (4 × workers), rounded up).
    /// </summary>
    /// <exception cref="WorkerException">A task threw; the first failure fails the call, and its tasks not yet started are dropped.</exception>
    /// <exception cref="WorkerCrashedException">A worker died holding some of these tasks.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled (tasks not yet started do not run).</exception>
    public List<TResult> Map<T, TResult>(Func<T, TResult> function, IEnumerable<T> items, int chunkSize = 0, IProgress<PoolProgress>? progress = null, CancellationToken ct = default) =>
        MapAsync(function, items, chunkSize, progress, ct).GetAwaiter().GetResult();

    /// <summary>The asynchronous <see cref="Map{T, TResult}"/> (Python's <c>map_async</c>).</summary>
    public Task<List<TResult>> MapAsync<T, TResult>(Func<T, TResult> function, IEnumerable<T> items, int chunkSize = 0, IProgress<PoolProgress>? progress = null, CancellationToken ct = default) =>
        StartMap<T, TResult>(function, items, chunkSize, streaming: false, progress, ct).Completion;

    /// <summary>
    /// Python's <c>starmap</c>: applies a two-argument function to each pair, results in order.
    /// </summary>
    public List<TResult> Starmap<T1, T2, TResult>(Func<T1, T2, TResult> function, IEnumerable<(T1, T2)> items, int chunkSize = 0, IProgress<PoolProgress>? progress = null, CancellationToken ct = default) =>
        StarmapAsync(function, items, chunkSize, progress, ct).GetAwaiter().GetResult();

    /// <summary>Python's <c>starmap</c> for three-argument functions.</summary>
    public List<TResult> Starmap<T1, T2, T3, TResult>(Func<T1, T2, T3, TResult> function, IEnumerable<(T1, T2, T3)> items, int chunkSize = 0, IProgress<PoolProgress>? progress = null, CancellationToken ct = default) =>
        StarmapAsync(function, items, chunkSize, progress, ct).GetAwaiter().GetResult();

    /// <summary>Python's <c>starmap_async</c>.</summary>
    public Task<List<TResult>> StarmapAsync<T1, T2, TResult>(Func<T1, T2, TResult> function, IEnumerable<(T1, T2)> items, int chunkSize = 0, IProgress<PoolProgress>? progress = null, CancellationToken ct = default) =>
        StartMap<(T1, T2), TResult>(function, items, chunkSize, streaming: false, progress, ct).Completion;

    /// <summary>Python's <c>starmap_async</c> for three-argument functions.</summary>
    public Task<List<TResult>> StarmapAsync<T1, T2, T3, TResult>(Func<T1, T2, T3, TResult> function, IEnumerable<(T1, T2, T3)> items, int chunkSize = 0, IProgress<PoolProgress>? progress = null, CancellationToken ct = default) =>
        StartMap<(T1, T2, T3), TResult>(function, items, chunkSize, streaming: false, progress, ct).Completion;

    /// <summary>
    /// Python's <c>imap</c>: starts the work at once and yields the results in order as they arrive. The default
    /// chunk size is 1, as in CPython. A failed task throws when its position is reached; leaving the loop early
    /// drops the tasks not yet started.
    /// </summary>
    public IEnumerable<TResult> Imap<T, TResult>(Func<T, TResult> function, IEnumerable<T> items, int chunkSize = 1, IProgress<PoolProgress>? progress = null, CancellationToken ct = default) =>
        ReadOrdered(StartMap<T, TResult>(function, items, chunkSize, streaming: true, progress, ct), ct);

    /// <summary>The asynchronous <see cref="Imap{T, TResult}"/>.</summary>
    public IAsyncEnumerable<TResult> ImapAsync<T, TResult>(Func<T, TResult> function, IEnumerable<T> items, int chunkSize = 1, IProgress<PoolProgress>? progress = null, CancellationToken ct = default) =>
        ReadOrderedAsync(StartMap<T, TResult>(function, items, chunkSize, streaming: true, progress, ct), ct);

    /// <summary>Python's <c>imap_unordered</c>: yields results as they arrive, in whatever order the workers finish.</summary>
    public IEnumerable<TResult> ImapUnordered<T, TResult>(Func<T, TResult> function, IEnumerable<T> items, int chunkSize = 1, IProgress<PoolProgress>? progress = null, CancellationToken ct = default) =>
        ReadUnordered(StartMap<T, TResult>(function, items, chunkSize, streaming: true, progress, ct), ct);

    /// <summary>The asynchronous <see cref="ImapUnordered{T, TResult}"/>.</summary>
    public IAsyncEnumerable<TResult> ImapUnorderedAsync<T, TResult>(Func<T, TResult> function, IEnumerable<T> items, int chunkSize = 1, IProgress<PoolProgress>? progress = null, CancellationToken ct = default) =>
        ReadUnorderedAsync(StartMap<T, TResult>(function, items, chunkSize, streaming: true, progress, ct), ct);

    /// <summary>Runs <paramref name="function"/> in a worker (Python's <c>apply_async</c>, the executor's <c>submit</c>).</summary>
    /// <returns>A task that completes with the result, or fails with <see cref="WorkerException"/> or <see cref="WorkerCrashedException"/>.</returns>
    public Task<TResult> Submit<TResult>(Func<TResult> function, CancellationToken ct = default) =>
        SubmitCore<NoArguments, TResult>(function, default, ct);

    /// <summary>Runs <paramref name="function"/>(<paramref name="arg1"/>) in a worker.</summary>
    public Task<TResult> Submit<T1, TResult>(Func<T1, TResult> function, T1 arg1, CancellationToken ct = default) =>
        SubmitCore<T1, TResult>(function, arg1, ct);

    /// <summary>Runs <paramref name="function"/>(<paramref name="arg1"/>, <paramref name="arg2"/>) in a worker.</summary>
    public Task<TResult> Submit<T1, T2, TResult>(Func<T1, T2, TResult> function, T1 arg1, T2 arg2, CancellationToken ct = default) =>
        SubmitCore<(T1, T2), TResult>(function, (arg1, arg2), ct);

    /// <summary>Runs a three-argument <paramref name="function"/> in a worker.</summary>
    public Task<TResult> Submit<T1, T2, T3, TResult>(Func<T1, T2, T3, TResult> function, T1 arg1, T2 arg2, T3 arg3, CancellationToken ct = default) =>
        SubmitCore<(T1, T2, T3), TResult>(function, (arg1, arg2, arg3), ct);

    /// <summary>Runs a four-argument <paramref name="function"/> in a worker.</summary>
    public Task<TResult> Submit<T1, T2, T3, T4, TResult>(Func<T1, T2, T3, T4, TResult> function, T1 arg1, T2 arg2, T3 arg3, T4 arg4, CancellationToken ct = default) =>
        SubmitCore<(T1, T2, T3, T4), TResult>(function, (arg1, arg2, arg3, arg4), ct);

    /// <summary>No new work is accepted; the work already submitted finishes, then the workers exit (Python's <c>close</c>).</summary>
    public void Close() => _core.Close();

    /// <summary>Waits until every worker has exited, after <see cref="Close"/> or <see cref="Terminate"/> (Python's <c>join</c>).</summary>
    /// <exception cref="InvalidOperationException">The pool is still open.</exception>
    public void Join() => _core.Join(Timeout.InfiniteTimeSpan);

    /// <summary>Like <see cref="Join()"/>, giving up after <paramref name="timeout"/>; false if workers are still running.</summary>
    public bool Join(TimeSpan timeout) => _core.Join(timeout);

    /// <summary>Waits asynchronously until every worker has exited, after <see cref="Close"/> or <see cref="Terminate"/>.</summary>
    public Task JoinAsync(CancellationToken ct = default) => _core.JoinAsync(ct);

    /// <summary>
    /// Kills the workers now (Python's <c>terminate</c>). Work in flight or not yet started fails with
    /// <see cref="InvalidOperationException"/> (in CPython it would never complete).
    /// </summary>
    public void Terminate() => _core.Terminate();

    /// <summary>
    /// Stops the pool and frees its shared memory. Like leaving Python's <c>with Pool()</c> block, it terminates the
    /// workers if they are still running: call <see cref="Close"/> and <see cref="Join()"/> first to let the work finish.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _core.Dispose();
        }
    }

    /// <summary>As <see cref="Dispose"/>, off the calling thread.</summary>
    public ValueTask DisposeAsync() => new(Task.Run(Dispose));

    /// <summary>CPython's default Map chunk size: <paramref name="items"/> / (4 × <paramref name="workers"/>), rounded up.</summary>
    internal static int AutomaticChunkSize(int items, int workers)
    {
        if (items == 0)
        {
            return 1;
        }

        int size = Math.DivRem(items, 4 * workers, out int extra);
        return extra != 0 ? size + 1 : size;
    }

    private MapJob<TResult> StartMap<TArgs, TResult>(Delegate function, IEnumerable<TArgs> items, int chunkSize, bool streaming, IProgress<PoolProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentOutOfRangeException.ThrowIfNegative(chunkSize);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        PoolTarget target = _core.GetTarget(function, nameof(function));
        ct.ThrowIfCancellationRequested();
        _core.ThrowIfNotOpen();
        TArgs[] array = items as TArgs[] ?? [.. items];
        int size = chunkSize > 0 ? chunkSize
            : streaming ? 1
            : _options.ChunkSize > 0 ? _options.ChunkSize
            : AutomaticChunkSize(array.Length, WorkerCount);
        int chunks = (int)(((long)array.Length + size - 1) / size);
        MapJob<TResult> job = new(_core, array.Length, chunks, streaming, progress);
        if (chunks == 0)
        {
            job.CompleteEmpty();
            return job;
        }

        PoolChunk[] list = new PoolChunk[chunks];
        PoolBuffer buffer = new(Math.Min(1 << 20, 64 + (size * 8)));
        for (int i = 0; i < chunks; i++)
        {
            int first = i * size;
            int count = Math.Min(size, array.Length - first);
            list[i] = Encode(job, target, i, first, array.AsSpan(first, count), buffer);
        }

        _core.Enqueue(list);
        job.CancelOn(ct);
        return job;
    }

    private Task<TResult> SubmitCore<TArgs, TResult>(Delegate function, TArgs args, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        PoolTarget target = _core.GetTarget(function, nameof(function));
        if (ct.IsCancellationRequested)
        {
            return Task.FromCanceled<TResult>(ct);
        }

        SubmitJob<TResult> job = new(_core);
        PoolBuffer buffer = new(64);
        PoolChunk chunk = Encode(job, target, 0, 0, new ReadOnlySpan<TArgs>(in args), buffer);
        _core.Enqueue([chunk]);
        job.CancelOn(ct);
        return job.Task;
    }

    private PoolChunk Encode<TArgs>(PoolJob job, PoolTarget target, int index, int first, ReadOnlySpan<TArgs> args, PoolBuffer buffer)
    {
        long id = _core.NextChunkId();
        buffer.Clear();
        buffer.WriteByte(PoolFrames.Chunk);
        buffer.WriteInt64(id);
        buffer.WriteInt32(target.Id);
        buffer.WriteInt32(args.Length);
        ChunkCodec<TArgs>.Encode(args, buffer);
        return new PoolChunk(id, job, target, index, first, args.Length, buffer.WrittenSpan.ToArray());
    }

    // The blocking twin of ReadOrderedAsync: one copy of the logic (its finally still runs when the caller stops early).
    private static IEnumerable<TResult> ReadOrdered<TResult>(MapJob<TResult> job, CancellationToken ct) =>
        ReadOrderedAsync(job, ct).ToBlockingEnumerable(ct);

    private static async IAsyncEnumerable<TResult> ReadOrderedAsync<TResult>(MapJob<TResult> job, [EnumeratorCancellation] CancellationToken ct)
    {
        try
        {
            Dictionary<int, (TResult[]? Values, Exception? Error)> early = [];
            int next = 0;
            while (true)
            {
                while (early.Remove(next, out (TResult[]? Values, Exception? Error) outcome))
                {
                    if (outcome.Error is not null)
                    {
                        throw outcome.Error;
                    }

                    foreach (TResult value in outcome.Values!)
                    {
                        yield return value;
                    }

                    next++;
                }

                if (job.Stream.TryRead(out (int Index, TResult[]? Values, Exception? Error) item))
                {
                    early[item.Index] = (item.Values, item.Error);
                }
                else if (!await job.Stream.WaitToReadAsync(ct).ConfigureAwait(false))
                {
                    yield break;
                }
            }
        }
        finally
        {
            job.Fail(new OperationCanceledException("The Imap consumer stopped reading."));
        }
    }

    // The blocking twin of ReadUnorderedAsync: one copy of the logic (its finally still runs when the caller stops early).
    private static IEnumerable<TResult> ReadUnordered<TResult>(MapJob<TResult> job, CancellationToken ct) =>
        ReadUnorderedAsync(job, ct).ToBlockingEnumerable(ct);

    private static async IAsyncEnumerable<TResult> ReadUnorderedAsync<TResult>(MapJob<TResult> job, [EnumeratorCancellation] CancellationToken ct)
    {
        try
        {
            await foreach ((int _, TResult[]? values, Exception? error) in job.Stream.ReadAllAsync(ct).ConfigureAwait(false))
            {
                if (error is not null)
                {
                    throw error;
                }

                foreach (TResult value in values!)
                {
                    yield return value;
                }
            }
        }
        finally
        {
            job.Fail(new OperationCanceledException("The ImapUnordered consumer stopped reading."));
        }
    }
}
