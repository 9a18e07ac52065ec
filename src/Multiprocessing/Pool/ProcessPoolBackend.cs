namespace Multiprocessing.Pool;

/// <summary>
/// Pool workers as worker processes (<see cref="WorkerProcess"/>, daemon: they die with the pool's process), one
/// shared-memory task queue per worker and one result queue for all. A worker's death is seen through its process
/// exit (pidfd / SIGCHLD), not through the queues.
/// </summary>
internal sealed class ProcessPoolBackend : IPoolBackend
{
    private const long RingBytes = 1 << 20;
    private readonly QueueChannel _results;
    private readonly WorkerStandby? _standby;

    internal ProcessPoolBackend(WorkerStandby? standby)
    {
        _standby = standby;
        _results = new QueueChannel(SharedQueue<byte[]>.Create(new SharedQueueOptions { RingBytes = RingBytes }), owner: true);
    }

    public IPoolChannel Results => _results;

    public IPoolChannel CreateTaskChannel() =>
        new QueueChannel(SharedQueue<byte[]>.Create(new SharedQueueOptions { RingBytes = RingBytes }), owner: true);

    public IPoolWorkerHandle StartWorker(string name, IPoolChannel tasks)
    {
        WorkerProcess worker = new((Action)PoolWorkerMain.Run)
        {
            Name = PoolWorkerMain.WorkerName(name, ((QueueChannel)tasks).Queue.Name, _results.Queue.Name),
            Daemon = true,
        };
        try
        {
            if (_standby is null)
            {
                worker.Start();
            }
            else
            {
                worker.Start(_standby); // a fresh start if no standby process is ready
            }
        }
        catch
        {
            worker.Dispose();
            throw;
        }

        return new Handle(worker);
    }

    public void Dispose() => _results.Dispose();

    private sealed class Handle : IPoolWorkerHandle
    {
        private readonly WorkerProcess _worker;

        internal Handle(WorkerProcess worker)
        {
            _worker = worker;
            Exited = WaitForExit(worker);
        }

        public int Pid => _worker.Pid;

        public Task<int?> Exited { get; }

        public WorkerException? Failure => _worker.Failure;

        public void Kill()
        {
            try
            {
                _worker.Kill();
            }
            catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
            {
                // It exited and was disposed meanwhile (Terminate races with a worker's normal exit): nothing to kill.
            }
        }

        public void Dispose() => _worker.Dispose();

        private static async Task<int?> WaitForExit(WorkerProcess worker)
        {
            await worker.JoinAsync().ConfigureAwait(false);
            return worker.ExitCode;
        }
    }
}
