namespace Multiprocessing.Pool;

/// <summary>
/// The target a pool worker process runs. It takes no arguments: arguments to a worker are deserialized with
/// MessagePack, whose start-up cost about 90 ms of CPU in each fresh worker here (measured: first line of the target
/// at ~75 ms of CPU without arguments, ~165 ms with two strings or two queues). The names of its two queues ride in
/// the worker's name instead, "PoolWorker-1 [tasks results]", which the spec carries as plain text.
/// </summary>
internal static class PoolWorkerMain
{
    /// <summary>The worker name for a pool worker called <paramref name="name"/> that reads <paramref name="tasks"/> and writes <paramref name="results"/>.</summary>
    internal static string WorkerName(string name, string tasks, string results) => $"{name} [{tasks} {results}]";

    /// <summary>Opens the queues named in this worker's name and runs the worker loop until told to stop.</summary>
    internal static void Run()
    {
        string name = WorkerProcess.Current.Name;
        int open = name.LastIndexOf('[');
        string[] queues = open < 0 || !name.EndsWith(']') ? [] : name[(open + 1)..^1].Split(' ');
        if (queues.Length != 2)
        {
            throw new InvalidOperationException($"This process was started as a pool worker, but its name '{name}' does not name its two queues.");
        }

        using SharedQueue<byte[]> tasks = SharedQueue<byte[]>.Open(queues[0]);
        using SharedQueue<byte[]> results = SharedQueue<byte[]>.Open(queues[1]);
        using QueueChannel t = new(tasks, owner: false);
        using QueueChannel r = new(results, owner: false);
        PoolWorkerLoop.Run(t, r);
    }
}
