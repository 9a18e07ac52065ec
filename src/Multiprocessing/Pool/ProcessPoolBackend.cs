namespace Multiprocessing.Pool;

/// <summary>Worker processes over shared-memory queues (wired once WorkerProcess and SharedQueue land).</summary>
internal sealed class ProcessPoolBackend : IPoolBackend
{
    public IPoolChannel Results => throw new PlatformNotSupportedException("not wired yet");

    public IPoolChannel CreateTaskChannel() => throw new PlatformNotSupportedException("not wired yet");

    public IPoolWorkerHandle StartWorker(string name, IPoolChannel tasks) => throw new PlatformNotSupportedException("not wired yet");

    public void Dispose()
    {
    }
}
