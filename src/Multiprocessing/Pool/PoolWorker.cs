namespace Multiprocessing.Pool;

/// <summary>The pool's bookkeeping for one worker process. Every field is guarded by the pool's lock.</summary>
internal sealed class PoolWorker
{
    internal PoolWorker(int id, int slot, string name, IPoolChannel tasks)
    {
        Id = id;
        Slot = slot;
        Name = name;
        Tasks = tasks;
    }

    internal int Id { get; }

    /// <summary>Which of the pool's worker places it fills (a replacement takes the same slot).</summary>
    internal int Slot { get; }

    internal string Name { get; }

    internal IPoolChannel Tasks { get; }

    /// <summary>Set once the process has started (null while it starts).</summary>
    internal IPoolWorkerHandle? Handle { get; set; }

    internal int InFlight { get; set; }

    /// <summary>The dispatcher held a chunk back because this worker holds too many bytes.</summary>
    internal bool WaitsForBytes { get; set; }

    /// <summary>The bytes of the chunk frames it holds.</summary>
    internal long InFlightBytes { get; set; }

    internal int TasksAssigned { get; set; }

    internal HashSet<int> KnownTargets { get; } = [];

    /// <summary>Has its last task (MaxTasksPerChild) or was told to stop: gets no more chunks.</summary>
    internal bool Retiring { get; set; }

    internal bool StopSent { get; set; }

    internal bool HasExited { get; set; }

    /// <summary>At least one of its chunks came back (it started and works).</summary>
    internal bool CompletedAny { get; set; }

    internal int Pid => Handle?.Pid ?? 0;
}
