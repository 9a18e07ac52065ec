using System.Collections.Concurrent;
using Multiprocessing.Pool;

namespace Multiprocessing.Tests.Pool;

/// <summary>
/// Runs the pool's engine with worker threads and in-memory channels, so its bookkeeping (chunking, ordering,
/// failures, recycling) is tested without processes. A "kill" makes the worker thread vanish at its next send or
/// receive, dropping what it held, as a SIGKILL would.
/// </summary>
internal sealed class InMemoryPoolBackend : IPoolBackend
{
    private static int s_nextPid = 100_000;
    private readonly ConcurrentBag<Handle> _handles = [];

    public IPoolChannel Results { get; } = new Channel(null);

    public IReadOnlyCollection<Handle> Handles => _handles;

    public IPoolChannel CreateTaskChannel() => new Channel(null);

    public IPoolWorkerHandle StartWorker(string name, IPoolChannel tasks)
    {
        Handle h = new(Interlocked.Increment(ref s_nextPid));
        var results = new Channel((Channel)Results, h);
        var taskView = new Channel((Channel)tasks, h);
        var thread = new Thread(() =>
        {
            try
            {
                PoolWorkerLoop.Run(taskView, results);
                h.ExitedSource.TrySetResult(0);
            }
            catch (KilledException)
            {
                h.ExitedSource.TrySetResult(-9);
            }
        })
        { IsBackground = true, Name = name };
        h.Thread = thread;
        _handles.Add(h);
        thread.Start();
        return h;
    }

    public void Dispose()
    {
    }

    internal sealed class KilledException : Exception;

    internal sealed class Handle(int pid) : IPoolWorkerHandle
    {
        internal readonly TaskCompletionSource<int?> ExitedSource = new(TaskCreationOptions.RunContinuationsAsynchronously);
        internal readonly CancellationTokenSource KilledSource = new();

        internal Thread? Thread { get; set; }

        public int Pid { get; } = pid;

        public Task<int?> Exited => ExitedSource.Task;

        public WorkerException? Failure => null;

        public void Kill()
        {
            KilledSource.Cancel();
            ExitedSource.TrySetResult(-9);
        }

        public void Dispose()
        {
        }
    }

    /// <summary>A message queue; a view bound to a worker handle throws KilledException once that worker is killed.</summary>
    internal sealed class Channel : IPoolChannel
    {
        private readonly BlockingCollection<byte[]> _queue;
        private readonly Handle? _owner;

        internal Channel(Channel? shared, Handle? owner = null)
        {
            _queue = shared?._queue ?? [];
            _owner = owner;
        }

        public bool IsEmpty => _queue.Count == 0;

        public bool TrySend(ReadOnlySpan<byte> message, TimeSpan timeout)
        {
            if (_owner is { KilledSource.IsCancellationRequested: true })
            {
                throw new KilledException();
            }

            _queue.Add(message.ToArray());
            return true;
        }

        public bool TryReceive(PoolBuffer destination, TimeSpan timeout)
        {
            try
            {
                if (_queue.TryTake(out byte[]? m, timeout == Timeout.InfiniteTimeSpan ? -1 : (int)timeout.TotalMilliseconds, _owner?.KilledSource.Token ?? default))
                {
                    destination.SetTo(m);
                    return true;
                }

                return false;
            }
            catch (OperationCanceledException)
            {
                throw new KilledException();
            }
        }

        public void Dispose()
        {
        }
    }
}
