using BenchmarkDotNet.Attributes;

namespace Multiprocessing.Benchmarks;

/// <summary>
/// The in-process cost of a pipe hand-off without the cross-core transfer: one thread sends on one end and receives
/// on the other. Expected: no allocation for ints and byte spans.
/// </summary>
[MemoryDiagnoser]
public class PipeBenchmarks : IDisposable
{
    private readonly byte[] _payload = new byte[64];
    private readonly byte[] _into = new byte[256];
    private Connection<int> _a = null!;
    private Connection<int> _b = null!;
    private Connection<object?[]> _oa = null!;
    private Connection<object?[]> _ob = null!;
    private readonly object?[] _list = [42, null, "hello"];

    /// <summary>Creates the pipes.</summary>
    [GlobalSetup]
    public void Setup()
    {
        (_a, _b) = Pipe.Create<int>();
        (_oa, _ob) = Pipe.Create<object?[]>();
    }

    /// <summary>Send an int, receive it on the other end.</summary>
    [Benchmark(Baseline = true)]
    public int IntSendReceive()
    {
        _a.Send(42);
        return _b.Receive();
    }

    /// <summary>SendBytes of 64 bytes, ReceiveBytesInto a reused buffer.</summary>
    [Benchmark]
    public int BytesSendReceiveInto()
    {
        _a.SendBytes(_payload);
        return _b.ReceiveBytesInto(_into);
    }

    /// <summary>The seed's message, [42, null, "hello"], through MessagePack.</summary>
    [Benchmark]
    public int ListSendReceive()
    {
        _oa.Send(_list);
        return _ob.Receive().Length;
    }

    /// <summary>Closes the pipes.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
        _oa.Dispose();
        _ob.Dispose();
        GC.SuppressFinalize(this);
    }
}
