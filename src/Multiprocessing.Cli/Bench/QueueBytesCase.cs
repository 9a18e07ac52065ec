using System.Diagnostics;

namespace Multiprocessing.Cli.Bench;

/// <summary>
/// mp_bench.py's case_queue_bytes: 1 → 1, 20 000 messages of 64 KiB and 2 000 of 1 MiB (random bytes, the same
/// array each time). The producer uses <see cref="SharedQueue{T}.PutBytes"/> and the consumer
/// <see cref="SharedQueue{T}.GetBytes(Span{byte})"/> into one buffer (the allocation-free byte API); the sentinel
/// is a null array, which reads as 0 bytes.
/// </summary>
internal sealed class QueueBytesCase : IBenchCase
{
    public string Name => "queue_bytes";

    public IReadOnlyList<string> ResultNames { get; } = ["queue_bytes_64k", "queue_bytes_1m"];

    public string? PythonCase => "queue_bytes";

    public IEnumerable<BenchResult> Run()
    {
        foreach ((string name, int size, int count) in new[] { ("queue_bytes_64k", 64 << 10, 20_000), ("queue_bytes_1m", 1 << 20, 2_000) })
        {
            yield return RunOne(name, size, count);
        }
    }

    private static BenchResult RunOne(string name, int size, int count)
    {
        using SharedQueue<byte[]?> q = SharedQueue<byte[]?>.Create();
        using RoundGate gate = RoundGate.Create(2);
        List<WorkerProcess> workers = [];
        try
        {
            workers.Add(WorkerProcess.Start(static (SharedQueue<byte[]?> q, SharedMemoryBlock gate, int size, int n) =>
            {
                byte[] payload = new byte[size];
                Random.Shared.NextBytes(payload);
                while (RoundGate.Next(gate, 0))
                {
                    long t0 = Stopwatch.GetTimestamp();
                    for (int i = 0; i < n; i++)
                    {
                        q.PutBytes(payload);
                    }

                    q.Put(null);
                    RoundGate.Finish(gate, 0, t0, n);
                }
            }, q, gate.Block, size, count));
            workers.Add(WorkerProcess.Start(static (SharedQueue<byte[]?> q, SharedMemoryBlock gate, int size) =>
            {
                byte[] buffer = new byte[size];
                while (RoundGate.Next(gate, 1))
                {
                    long received = 0, bytes = 0;
                    int got;
                    while ((got = q.GetBytes(buffer)) > 0)
                    {
                        received++;
                        bytes += got;
                    }

                    RoundGate.Finish(gate, 1, Stopwatch.GetTimestamp(), bytes == received * size ? received : -1);
                }
            }, q, gate.Block, size));

            var rounds = gate.Run(workers, 1);
            QueueBench.Join(workers);
            return QueueBench.Result(
                name,
                new() { ["producers"] = 1, ["consumers"] = 1, ["payload_bytes"] = size, ["method"] = "SharedQueue<byte[]>.PutBytes/GetBytes(span), 1 MiB ring" },
                rounds,
                count,
                "msgs/s",
                size);
        }
        finally
        {
            QueueBench.Dispose(workers);
            q.Unlink();
        }
    }
}
