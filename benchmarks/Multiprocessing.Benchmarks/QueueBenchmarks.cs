using BenchmarkDotNet.Attributes;

namespace Multiprocessing.Benchmarks;

/// <summary>
/// The in-process cost of one Put followed by one Get on a queue in shared memory (one thread, so no wake-ups):
/// the copies, the locks, the publish. Zero allocations are expected for reference-free types and byte spans.
/// </summary>
[MemoryDiagnoser]
public class QueueBenchmarks
{
    private readonly byte[] _payload = new byte[1024];
    private readonly byte[] _into = new byte[1024];
    private readonly Point _point = new(1, 2);
    private SharedQueue<long> _longs = null!;
    private SharedQueue<byte[]> _bytes = null!;
    private SharedQueue<Point> _points = null!;
    private JoinableQueue<long> _joinable = null!;

    /// <summary>A small message type that goes through MessagePack.</summary>
    /// <param name="X">A coordinate.</param>
    /// <param name="Y">Another.</param>
    public sealed record Point(int X, int Y);

    /// <summary>Creates the queues.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _longs = SharedQueue<long>.Create();
        _bytes = SharedQueue<byte[]>.Create();
        _points = SharedQueue<Point>.Create();
        _joinable = JoinableQueue<long>.Create();
    }

    /// <summary>Removes them.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (IDisposable q in new IDisposable[] { _longs, _bytes, _points, _joinable })
        {
            q.Dispose();
        }

        _longs.Unlink();
        _bytes.Unlink();
        _points.Unlink();
        _joinable.Unlink();
    }

    /// <summary>A long: raw copy in, raw copy out.</summary>
    [Benchmark(Baseline = true)]
    public long PutGetLong()
    {
        _longs.Put(42);
        return _longs.Get();
    }

    /// <summary>1 KiB through the byte-span API.</summary>
    [Benchmark]
    public int PutGetBytes1K()
    {
        _bytes.PutBytes(_payload);
        return _bytes.GetBytes(_into);
    }

    /// <summary>A small record through MessagePack (allocates the record it returns).</summary>
    [Benchmark]
    public Point PutGetRecord()
    {
        _points.Put(_point);
        return _points.Get();
    }

    /// <summary>The seed's pattern on a joinable queue: Put, Get, TaskDone.</summary>
    [Benchmark]
    public long PutGetTaskDone()
    {
        _joinable.Put(42);
        long v = _joinable.Get();
        _joinable.TaskDone();
        return v;
    }
}
