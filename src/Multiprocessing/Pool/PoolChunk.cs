namespace Multiprocessing.Pool;

/// <summary>One unit of dispatch: a run of consecutive tasks of one call, encoded once as its Chunk frame.</summary>
internal sealed class PoolChunk
{
    internal PoolChunk(long id, PoolJob job, PoolTarget target, int index, int firstItem, int count, byte[] frame)
    {
        Id = id;
        Job = job;
        Target = target;
        Index = index;
        FirstItem = firstItem;
        Count = count;
        Frame = frame;
    }

    internal long Id { get; }

    internal PoolJob Job { get; }

    internal PoolTarget Target { get; }

    /// <summary>The chunk's position among its call's chunks.</summary>
    internal int Index { get; }

    /// <summary>The index of its first task in the call.</summary>
    internal int FirstItem { get; }

    internal int Count { get; }

    /// <summary>The whole Chunk frame, as sent to a worker.</summary>
    internal byte[] Frame { get; }

    /// <summary>The worker it was sent to (null while pending). Guarded by the pool's lock.</summary>
    internal PoolWorker? Worker { get; set; }

    /// <summary>How many times it was lost with a crashed worker. Guarded by the pool's lock.</summary>
    internal int Crashes { get; set; }
}
